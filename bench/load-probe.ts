// The /healthz probe of bench/load.ts, in a process of its own as a health checker would be: in
// the load generator's process its busy event loop would add its own delays to the latencies.
// Arguments: URL RATE DURATION_S. Prints autocannon's result as one JSON line.
import autocannon from 'autocannon';

const [url, rate, duration] = process.argv.slice(2);
// One connection at a fixed rate: latencies corrected for coordinated omission.
const result = await autocannon({ url, connections: 1, connectionRate: Number(rate), duration: Number(duration), timeout: 60 });
console.log(JSON.stringify(result));
