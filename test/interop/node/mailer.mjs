// nodemailer (npm) as a client of `postel sink` (test/interop/node_peers.py).
//
//   node mailer.mjs JOB.json
//
// JOB: {"port": N, "transport": {nodemailer SMTP options}, "messages":
// [{"label": L, "envelope": {...}, "raw": FILE}]}. Each message is sent
// with nodemailer's `raw` option, so the bytes it puts in DATA are known
// (nodemailer makes line ends CRLF and dot-stuffs, nothing more), and an
// explicit `envelope`. With "pool": true in the transport the messages
// are handed over all at once and share the pooled connection(s);
// otherwise they go one after the other, a connection each.
//
// Prints one JSON line per message: {"label", "ok", "response",
// "responseCode", "accepted", "rejected"}; the SMTP transcript
// (nodemailer's debug log) goes to stderr. Exits 0 once every message
// has an outcome, whatever it is: the caller judges them.
import fs from 'node:fs';
import nodemailer from 'nodemailer';

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

// "C: " what nodemailer sent, "S: " what it got, else the log level
const log = (level) => (meta, ...args) => {
    let i = 0;
    const text = String(args.shift() ?? '').replace(/%[sd]/g, () => String(args[i++]));
    const tag = { client: 'C:', server: 'S:' }[meta && meta.tnx] || level;
    process.stderr.write(text.split('\n').map((l) => tag + ' ' + l + '\n').join(''));
};
const logger = { trace: log('trace'), debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), fatal: log('fatal') };

const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: job.port,
    secure: false,
    name: 'client.example',
    connectionTimeout: 20000,
    greetingTimeout: 20000,
    socketTimeout: 30000,
    logger,
    debug: true,
    ...job.transport,
});

async function one(m) {
    try {
        const info = await transport.sendMail({ envelope: m.envelope, raw: fs.readFileSync(m.raw) });
        return { label: m.label, ok: true, response: info.response, accepted: info.accepted, rejected: info.rejected };
    } catch (e) {
        return { label: m.label, ok: false, response: e.response || e.message, responseCode: e.responseCode || null, code: e.code || null };
    }
}

const results = job.transport.pool
    ? await Promise.all(job.messages.map(one))
    : await job.messages.reduce(async (acc, m) => [...(await acc), await one(m)], []);
transport.close();
for (const r of results) {
    process.stdout.write(JSON.stringify(r) + '\n');
}
