// Drives the official @microsoft/signalr client against mesodesk's SignalR server core.
// Usage: node check_client.mjs <hubUrl> <token>
// Prints one line "RESULTS {json}" on stdout; client logs go to stderr.
import * as signalR from "@microsoft/signalr";
import { readFileSync } from "node:fs";

const [, , hubUrl, token] = process.argv;
const results = [];

const stderrLogger = {
  log(level, message) {
    if (level >= signalR.LogLevel.Warning) process.stderr.write(`[signalr ${level}] ${message}\n`);
  },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (p, ms, what) =>
  Promise.race([p, sleep(ms).then(() => { throw new Error(`timeout: ${what}`); })]);

async function check(mode, name, fn) {
  const t0 = Date.now();
  try {
    const detail = await withTimeout(Promise.resolve().then(fn), 5000, name);
    results.push({ mode, name, ok: true, ms: Date.now() - t0, detail: detail ?? null });
  } catch (e) {
    results.push({ mode, name, ok: false, ms: Date.now() - t0, detail: String(e && e.stack ? e.stack : e) });
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

async function expectReject(p, fragment) {
  try {
    await p;
  } catch (e) {
    assert(String(e.message).includes(fragment), `error ${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
    return e.message;
  }
  throw new Error("expected a rejection");
}

async function runMode(mode) {
  const options = { accessTokenFactory: () => token };
  if (mode === "skipNegotiation") {
    options.skipNegotiation = true;
    options.transport = signalR.HttpTransportType.WebSockets;
  }
  const conn = new signalR.HubConnectionBuilder()
    .withUrl(hubUrl, options)
    .withAutomaticReconnect([0, 100, 500, 1000])
    .configureLogging(stderrLogger)
    .build();

  const quotes = [];
  conn.on("quote", (q) => { quotes.push(q.seq); }); // block body: no result for a non-blocking call
  conn.on("getClientInfo", (q) => ({ client: "@microsoft/signalr", q }));

  await check(mode, "start", async () => {
    await conn.start();
    assert(conn.state === signalR.HubConnectionState.Connected, `state ${conn.state}`);
    const who = await conn.invoke("WhoAmI");
    assert(who.user === "tester", "bearer token accepted and mapped to the user");
    if (mode === "negotiate") {
      // v1 negotiate: the client learns the public connectionId (distinct from the secret token)
      assert(conn.connectionId === who.connectionId, `connectionId ${conn.connectionId} vs ${who.connectionId}`);
    }
    return who;
  });

  await check(mode, "invoke", async () => {
    assert((await conn.invoke("Add", 2, 3)) === 5, "Add");
    const payload = { a: [1, 2.5, null, true], b: { c: "ü€" } };
    assert(JSON.stringify(await conn.invoke("Echo", payload)) === JSON.stringify(payload), "Echo");
    assert((await conn.invoke("Void")) === null, "Void returns null");
  });

  await check(mode, "error rejects", async () => expectReject(conn.invoke("Fail", "bad order"), "bad order"));
  await check(mode, "unexpected error hides internals", async () => {
    const msg = await expectReject(conn.invoke("Boom"), "An unexpected error occurred invoking 'Boom'");
    assert(!msg.includes("secret"), "no internals");
  });
  await check(mode, "unknown method rejects", async () => expectReject(conn.invoke("Nope"), "Unknown hub method 'Nope'"));

  await check(mode, "stream", async () => {
    const items = await new Promise((resolve, reject) => {
      const got = [];
      conn.stream("Counter", 5, 0).subscribe({
        next: (x) => got.push(x),
        complete: () => resolve(got),
        error: reject,
      });
    });
    assert(JSON.stringify(items) === "[0,1,2,3,4]", `items ${items}`);
  });

  await check(mode, "stream error", async () => {
    const err = await new Promise((resolve, reject) => {
      conn.stream("FailingStream").subscribe({ next: () => {}, complete: () => reject(new Error("completed")), error: resolve });
    });
    assert(String(err.message).includes("stream broke"), err.message);
  });

  await check(mode, "stream cancel", async () => {
    const before = await conn.invoke("TickerStats");
    await new Promise((resolve) => {
      let n = 0;
      const sub = conn.stream("Ticker").subscribe({
        next: () => {
          n += 1;
          if (n === 3) { sub.dispose(); resolve(); } // sends CancelInvocation
        },
        complete: () => {},
        error: () => {},
      });
    });
    for (let i = 0; i < 100; i++) {
      const stats = await conn.invoke("TickerStats");
      if (stats.closed > before.closed && stats.cancelled > before.cancelled) return stats;
      await sleep(10);
    }
    throw new Error("server never saw the cancel");
  });

  await check(mode, "server push", async () => {
    quotes.length = 0;
    assert((await conn.invoke("PushMe", 3)) === 3, "PushMe");
    for (let i = 0; i < 100 && quotes.length < 3; i++) await sleep(10);
    assert(JSON.stringify(quotes) === "[0,1,2]", `quotes ${quotes}`);
  });

  await check(mode, "client results", async () => {
    const r = await conn.invoke("AskClient", "hi");
    assert(JSON.stringify(r) === JSON.stringify({ "client said": { client: "@microsoft/signalr", q: "hi" } }), JSON.stringify(r));
  });

  await check(mode, "automatic reconnect", async () => {
    const oldId = conn.connectionId;
    const reconnected = new Promise((resolve) => conn.onreconnected(resolve));
    const t0 = Date.now();
    await conn.invoke("DropMe"); // the server closes this connection with allowReconnect
    await reconnected;
    const ms = Date.now() - t0;
    assert(conn.state === signalR.HubConnectionState.Connected, `state ${conn.state}`);
    assert((await conn.invoke("Add", 40, 2)) === 42, "invoke after reconnect");
    if (mode === "negotiate") assert(conn.connectionId !== oldId, "new connection id");
    return { ms };
  });

  await check(mode, "stop", async () => {
    await conn.stop();
    assert(conn.state === signalR.HubConnectionState.Disconnected, `state ${conn.state}`);
  });
}

async function main() {
  await runMode("negotiate");
  await runMode("skipNegotiation");
  const pkg = new URL("./node_modules/@microsoft/signalr/package.json", import.meta.url);
  const version = JSON.parse(readFileSync(pkg, "utf8")).version;
  process.stdout.write(`RESULTS ${JSON.stringify({ version, node: process.version, results })}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`fatal: ${e && e.stack ? e.stack : e}\n`);
    process.exit(2);
  },
);
