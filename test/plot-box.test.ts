// plot.box: one box per group (lesson 06 draws each LSTM variant over its seeds).
import { describe, expect, it } from "vitest";
import { box, PALETTE } from "../lib/src/plot";
import { Json } from "../lib/src/plot/figure";

type Obj = { [key: string]: Json };
const o = (v: Json | undefined): Obj => {
  expect(v !== null && typeof v === "object" && !Array.isArray(v)).toBe(true);
  return v as Obj;
};

describe("box", () => {
  it("draws one box trace per group, on a category axis, with every point and the mean", () => {
    const fig = box({
      title: "held-out loss",
      groups: [
        { name: "vanilla", values: [1.9, 2.0, 2.1], labels: ["seed 1", "seed 2", "seed 3"] },
        { name: "NFG", values: new Float64Array([2.5, 2.7]) },
      ],
      valueTitle: "nats",
      shapes: [{ kind: "hline", y: 2.2, dash: "dash" }],
    });
    expect(fig.data.map((t) => t.type)).toEqual(["box", "box"]);
    expect(fig.data[0].y).toEqual([1.9, 2.0, 2.1]);
    expect(fig.data[0].x).toEqual(["vanilla", "vanilla", "vanilla"]);
    expect(fig.data[1].y).toEqual([2.5, 2.7]); // a typed array arrives as a plain one
    expect(fig.data[0].text).toEqual(["seed 1", "seed 2", "seed 3"]);
    expect(fig.data[1].text).toBeUndefined();
    expect(fig.data.map((t) => t.boxpoints)).toEqual(["all", "all"]);
    expect(fig.data[0].boxmean).toBe(true);
    expect(o(fig.data[0].marker).color).toBe(PALETTE[0]);
    expect(o(fig.data[1].line).color).toBe(PALETTE[1]);
    expect(o(fig.layout.xaxis).type).toBe("category");
    expect(o(o(fig.layout.yaxis).title).text).toBe("nats");
    expect(fig.layout.showlegend).toBe(false);
    const shapes = fig.layout.shapes as Obj[];
    expect(shapes).toHaveLength(1);
    expect(shapes[0]).toMatchObject({ y0: 2.2, y1: 2.2 });
    expect(JSON.parse(JSON.stringify(fig))).toEqual(fig); // plain JSON, no undefined left
  });

  it("draws only the outliers when asked, and a log axis", () => {
    const fig = box({ groups: [{ name: "a", values: [0.01, 0.1, 1] }], showPoints: false, logValues: true });
    expect(fig.data[0].boxpoints).toBe("outliers");
    expect(fig.data[0].jitter).toBeUndefined();
    expect(o(fig.layout.yaxis).type).toBe("log");
  });

  it("rejects empty, repeated, non-finite, mislabelled and non-positive-on-log groups", () => {
    expect(() => box({ groups: [] })).toThrow(/box/);
    expect(() => box({ groups: [{ name: "a", values: [] }] })).toThrow(/box: groups "a" is empty \(no values\)/);
    expect(() => box({ groups: [{ name: "a", values: [1] }, { name: "a", values: [2] }] })).toThrow(/box: group "a" appears twice/);
    expect(() => box({ groups: [{ name: "a", values: [1, NaN] }] })).toThrow(/values\[1\] is NaN/);
    expect(() => box({ groups: [{ name: "a", values: [1, 2], labels: ["x"] }] })).toThrow(/labels has 1 entries but there are 2 values/);
    expect(() => box({ groups: [{ name: "a", values: [1, 0] }], logValues: true })).toThrow(/values\[1\] = 0 cannot be drawn on the log y axis/);
  });
});
