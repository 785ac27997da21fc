"""aiosmtpd handler for the example tests: each message received is
written, exactly as received (after dot-unstuffing), to DIR/N.eml.

    python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd_store.Store DIR
"""
import os


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("Store needs a directory")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, "%d.eml" % self.count)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 stored"
