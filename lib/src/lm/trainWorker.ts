/**
 * The worker thread of `trainInWorkers` (parallel.ts): builds the job's model,
 * does its products where the calling thread does (TensorFlow.js or plain loops), trains
 * with `trainOnStream`, and sends reports, then the weights.
 */
import { parentPort, workerData } from "worker_threads";
import { useTensorFlowLinalg } from "../nn/compute/tfLinalg";
import type { WorkerJob, WorkerMessage } from "./parallel";
import { stackedLSTMModel, trainOnStream } from "./streamTraining";

async function main(job: WorkerJob): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("trainWorker.js runs as a worker thread of trainInWorkers");
  const send = (m: WorkerMessage) => port.postMessage(m);
  try {
    if (job.linalg.name === "tfjs") {
      const { backend, minWork, directCalls } = job.linalg;
      await useTensorFlowLinalg({ backend: backend, minWork: minWork, directCalls: directCalls });
    }
    const model = stackedLSTMModel(job.model);
    const result = trainOnStream(model, job.ids, job.training, (report) => send({ kind: "report", report: report }));
    send({ kind: "done", weights: model.parameters().map((p) => ({ name: p.name, data: p.value.data })), seconds: result.seconds, finalLoss: result.finalLoss });
  } catch (e) {
    send({ kind: "failed", message: e instanceof Error ? e.message : String(e) });
  }
}

void main(workerData as WorkerJob);
