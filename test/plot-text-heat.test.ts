import { describe, it, expect } from "vitest";
import { plot } from "../lib/src";

describe("textHeat", () => {
  it("gives every character a span coloured by its value, escaped", () => {
    const b = plot.textHeat("a<b", [1, 0, -0.5]);
    const html = String(b["text/html"]);
    // limit = max |v| = 1: a is full red, < is white, b is halfway to blue: 255 + (37 − 255)·0.5 = 146, 255 + (99 − 255)·0.5 = 177, 255 + (235 − 255)·0.5 = 245
    expect(html).toContain('<span style="background:rgb(220,38,38)" title="1.000">a</span>');
    expect(html).toContain('<span style="background:rgb(255,255,255)" title="0.000">&lt;</span>');
    expect(html).toContain('<span style="background:rgb(146,177,245)" title="-0.500">b</span>');
    expect(html).not.toContain("a<b");
  });
  it("escapes the title and every HTML character", () => {
    expect(plot.escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    const html = String(plot.textHeat("&", [0], { title: "<script>" })["text/html"]);
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toContain("<script>");
  });
  it("clips at the given limit and breaks lines at newlines", () => {
    const b = plot.textHeat("x\ny", [4, 0, -4], { limit: 2 });
    const html = String(b["text/html"]);
    expect(html).toContain('background:rgb(220,38,38)" title="4.000">x');
    expect(html).toContain('background:rgb(37,99,235)" title="-4.000">y');
    expect(html).toContain("↵</span>\n");
    expect(b["text/plain"]).toBe("x\n^\ny\nv");
  });
  it("heatColor is white at 0 and full at the limit", () => {
    expect(plot.heatColor(0, 1)).toBe("rgb(255,255,255)");
    expect(plot.heatColor(-3, 3)).toBe("rgb(37,99,235)");
  });
  it("refuses a value count that does not match the characters, and non-finite values", () => {
    expect(() => plot.textHeat("ab", [1])).toThrow(/2 characters but there are 1 values/);
    expect(() => plot.textHeat("a", [NaN])).toThrow(/values\[0\] is NaN/);
    expect(() => plot.textHeat("a", [1], { limit: 0 })).toThrow(/limit must be a positive number/);
  });
});
