"""SMTP sink for the notifier's email channel tests.

Runs an aiosmtpd server on 127.0.0.1:<port>. Every accepted message is written to <dir> as
message-NNNN.eml (raw) and message-NNNN.json (envelope, decoded subject, text and html parts).
The reply to DATA is read from <dir>/answer on each message ("250" when the file is absent), so
a test can make the server refuse messages. With --username/--password, AUTH is required (also
without TLS). With --tls-mode starttls|tls and --cert/--key, the server requires STARTTLS or
speaks TLS from the first byte. Writes <dir>/ready once it accepts connections; stops on SIGTERM.
"""

import argparse
import email
import email.policy
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        answer_path = os.path.join(self.directory, "answer")
        if os.path.exists(answer_path):
            with open(answer_path) as answer_file:
                answer = answer_file.read().strip()
            if answer and not answer.startswith("250"):
                return answer
        self.count += 1
        stem = os.path.join(self.directory, "message-%04d" % self.count)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "message_id": str(message["message-id"]),
            "content_type": message.get_content_type(),
            "text": text_part.get_content() if text_part else None,
            "html": html_part.get_content() if html_part else None,
            "authenticated_as": session.auth_data.decode() if isinstance(session.auth_data, bytes) else None,
        }
        with open(stem + ".eml", "wb") as raw_file:
            raw_file.write(raw)
        with open(stem + ".json.tmp", "w") as json_file:
            json.dump(record, json_file, ensure_ascii=False)
        os.rename(stem + ".json.tmp", stem + ".json")
        return "250 2.0.0 Message accepted"


def password_checker(username, password):
    def check(server, session, envelope, mechanism, auth_data):
        if auth_data.login == username.encode() and auth_data.password == password.encode():
            return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)

    return check


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--tls-mode", choices=["starttls", "tls"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    arguments = parser.parse_args()
    options = {}
    if arguments.username:
        options = {
            "authenticator": password_checker(arguments.username, arguments.password),
            "auth_required": True,
            "auth_require_tls": False,
        }
    if arguments.tls_mode:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.cert, arguments.key)
        if arguments.tls_mode == "starttls":
            options.update({"tls_context": context, "require_starttls": True})
        else:
            options["ssl_context"] = context
    controller = Controller(Sink(arguments.dir), hostname="127.0.0.1", port=arguments.port, **options)
    controller.start()
    with open(os.path.join(arguments.dir, "ready"), "w") as ready_file:
        ready_file.write(str(arguments.port))
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
