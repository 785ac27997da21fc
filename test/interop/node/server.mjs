// smtp-server (npm) as the peer that `postel send` and the client
// examples deliver to (test/interop/node_peers.py).
//
//   node server.mjs OUTDIR [--tls CERT KEY] [--auth USER:PASS]
//       [--auth-methods PLAIN,LOGIN] [--lmtp] [--size BYTES]
//       [--hide-smtputf8] [--hide-pipelining] [--seconds N]
//
// Listens on 127.0.0.1, port 0, and prints "listening on 127.0.0.1:PORT".
// Each message goes to OUTDIR/N.msg (the content as received, unstuffed)
// and OUTDIR/N.env (the envelope: the same lines as send.py's aiosmtpd
// peer); every MAIL command is appended to OUTDIR/mail.log, so a test can
// tell that a client gave up before MAIL. Policy, as in send.py:
// RCPT nobody@ -> 550, later@ -> 450; in LMTP the final reply for full@
// is 452 (one reply per recipient). Exits 0 on SIGTERM, and by itself
// after --seconds (default 300) so that it never outlives its test.
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const argv = process.argv.slice(2);
const outdir = argv[0];
const opt = (name, n = 1) => {
    const i = argv.indexOf(name);
    return i < 0 ? null : argv.slice(i + 1, i + 1 + n);
};
const lmtp = argv.includes('--lmtp');
const tls = opt('--tls', 2);
const creds = opt('--auth');
const methods = opt('--auth-methods');
const size = opt('--size');
const seconds = Number((opt('--seconds') || ['300'])[0]);

let count = 0;

function fail(code, text) {
    const e = new Error(text);
    e.responseCode = code;
    return e;
}

function mailArgs(args) {
    // smtp-server parses MAIL parameters into {KEY: value|true}
    return Object.entries(args || {})
        .map(([k, v]) => (v === true ? k : k + '=' + v))
        .join(' ');
}

const server = new SMTPServer({
    name: 'smtp-server.example',
    disableReverseLookup: true, // no DNS: the peer is 127.0.0.1
    lmtp,
    secure: false,
    ...(tls ? { key: fs.readFileSync(tls[1]), cert: fs.readFileSync(tls[0]) } : { hideSTARTTLS: true }),
    // AUTH is offered (also in clear text) with --auth, never required
    authOptional: true,
    ...(creds ? { allowInsecureAuth: true, authMethods: methods ? methods[0].split(',') : ['PLAIN', 'LOGIN'] } : { disabledCommands: ['AUTH'] }),
    ...(size ? { size: Number(size[0]) } : {}),
    hideSMTPUTF8: argv.includes('--hide-smtputf8'),
    hidePIPELINING: argv.includes('--hide-pipelining'),
    hideENHANCEDSTATUSCODES: false, // on: the client parses RFC 3463 codes
    hideDSN: false,
    socketTimeout: 30000,
    closeTimeout: 2000,
    logger: false,
    onAuth(auth, session, cb) {
        if (creds && auth.username + ':' + auth.password === creds[0]) {
            return cb(null, { user: auth.username });
        }
        cb(fail(535, 'Authentication credentials invalid'));
    },
    onMailFrom(address, session, cb) {
        fs.appendFileSync(path.join(outdir, 'mail.log'), 'MAIL <' + address.address + '> ' + mailArgs(address.args) + '\n');
        cb();
    },
    onRcptTo(address, session, cb) {
        if (address.address.startsWith('nobody@')) {
            return cb(fail(550, '<' + address.address + '>: no such user'));
        }
        if (address.address.startsWith('later@')) {
            return cb(fail(450, '<' + address.address + '>: try later'));
        }
        cb();
    },
    onData(stream, session, cb) {
        const chunks = [];
        stream.on('data', (c) => chunks.push(c));
        stream.on('end', () => {
            if (stream.sizeExceeded) {
                return cb(fail(552, 'message too big'));
            }
            const n = count++;
            const env = session.envelope;
            fs.writeFileSync(path.join(outdir, n + '.msg'), Buffer.concat(chunks));
            fs.writeFileSync(path.join(outdir, n + '.env'),
                'from ' + env.mailFrom.address + '\n' +
                'options ' + mailArgs(env.mailFrom.args) + '\n' +
                env.rcptTo.map((r) => 'rcpt ' + r.address + '\n').join('') +
                'tls ' + (session.secure ? 'yes' : 'no') + '\n' +
                'auth ' + (session.user ? 'yes' : 'no') + '\n' +
                'proto ' + session.transmissionType + '\n');
            if (!lmtp) {
                return cb(null, 'Ok: queued as ' + n);
            }
            cb(null, env.rcptTo.map((r) => r.address.startsWith('full@')
                ? fail(452, '<' + r.address + '> mailbox full')
                : '<' + r.address + '> delivered'));
        });
    },
});

server.on('error', (e) => {
    process.stderr.write('smtp-server: ' + e.message + '\n');
});

function stop() {
    server.close(() => process.exit(0));
}
process.on('SIGTERM', stop);
setTimeout(() => {
    process.stderr.write('smtp-server: --seconds passed, stopping\n');
    stop();
}, seconds * 1000).unref();

server.listen(0, '127.0.0.1', () => {
    process.stdout.write('listening on 127.0.0.1:' + server.server.address().port + '\n');
});
