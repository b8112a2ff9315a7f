"""A real SMTP server for tests (aiosmtpd): stores every accepted message in a folder.

Usage: smtp_sink.py FOLDER PORT [FAIL_FIRST [USER:PASSWORD]]
Answers 451 (temporary failure) to the first FAIL_FIRST messages, to prove that senders retry.
With USER:PASSWORD it offers AUTH (PLAIN, LOGIN; over plain text, for tests on this host only)
and accepts mail only after a login with exactly that user and password.
Each accepted message is written to FOLDER/NNNN.eml, with the envelope in FOLDER/NNNN.env.
Prints "ready" on stdout once it listens on 127.0.0.1:PORT; stops on SIGTERM.
"""

import asyncio
import json
import logging
import pathlib
import signal
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, folder, fail_first):
        self.folder = folder
        self.fail_first = fail_first
        self.refused = 0
        self.stored = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refused < self.fail_first:
            self.refused += 1
            return "451 4.3.0 temporary failure, try again later"
        self.stored += 1
        stem = self.folder / f"{self.stored:04}"
        stem.with_suffix(".eml").write_bytes(envelope.original_content or envelope.content)
        stem.with_suffix(".env").write_text(
            json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos})
        )
        return "250 OK stored"


def authenticator_for(login):
    user, password = login.split(":", 1)

    def authenticate(server, session, envelope, mechanism, auth_data):
        accepted = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=accepted, handled=False)

    return authenticate


def main():
    folder = pathlib.Path(sys.argv[1])
    port = int(sys.argv[2])
    fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    login = sys.argv[4] if len(sys.argv) > 4 else None
    options = {}
    # Plain-text AUTH is deliberate here (a sink on 127.0.0.1); aiosmtpd warns on every session.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    if login:
        options = dict(
            authenticator=authenticator_for(login),
            auth_require_tls=False,
            auth_required=True,
        )
    controller = Controller(
        Sink(folder, fail_first), hostname="127.0.0.1", port=port, **options
    )
    controller.start()
    print("ready", flush=True)
    stop = asyncio.new_event_loop()
    stop.add_signal_handler(signal.SIGTERM, stop.stop)
    stop.run_forever()
    controller.stop()


if __name__ == "__main__":
    main()
