/**
 * Every GET route, fuzzed against its own OpenAPI description (testing/routeFuzz.ts): 10,000
 * generated requests each, every answer judged on its meaning — no 5xx, the error shape, a
 * 4xx that changed nothing, a GET that wrote nothing, a number not in decimal digits refused.
 */
import { describeRouteFuzz } from './testing/routeFuzz.js';

await describeRouteFuzz('GET');
