// Official @microsoft/signalr client reading the synthetic stream: items/s and CPU per item.
// Usage: node signalr_ingest.cjs URL KEY COUNT   (SIGNALR_JS_DIR = a folder with node_modules)
const path = require("path");
const signalR = require(require.resolve("@microsoft/signalr", { paths: [process.env.SIGNALR_JS_DIR || "."] }));

async function main() {
  const [url, key, countText] = process.argv.slice(2);
  const count = Number(countText);
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(url + "/hubs/bench/v1", { accessTokenFactory: () => key })
    .configureLogging(signalR.LogLevel.Error)
    .build();
  await connection.start();
  let items = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((resolve, reject) => {
    connection.stream("StreamSyntheticPositionData", { Count: count }).subscribe({
      next: (item) => { items += item && item.PositionId !== undefined ? 1 : 1; },
      complete: resolve,
      error: reject,
    });
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await connection.stop();
  console.log(JSON.stringify({ items, wall, cpu: (cpu.user + cpu.system) / 1e6 }));
}
main().catch((e) => { console.error(String(e)); process.exit(1); });
