/** TensorFlow.js on its WASM backend, set up once (training only: deciding needs none of it). */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

let ready: Promise<typeof tf> | undefined;

export function initTf(): Promise<typeof tf> {
  ready ??= (async () => {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('TensorFlow.js could not start its WASM backend');
    await tf.ready();
    return tf;
  })();
  return ready;
}
