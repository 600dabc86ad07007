"""Real mail servers for the tests: aiosmtpd receives what is sent, Debian's dovecot holds replies.

Dovecot runs privately: its own config, port, run directory and passwd-file user, in a temporary
folder, so no system-wide configuration is needed. Without the dovecot binary the tests that need
it skip, except with CI=true, where they fail (``.ci/run`` installs dovecot-imapd).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)


@dataclass
class SMTPSink:
    """An aiosmtpd handler keeping every message; ``refuse`` maps an address to a reply."""

    received: list[Delivery] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            Delivery(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Delivery]:
        return [d for d in self.received if address in d.rcpt_tos]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend is pointed at it."""
    from aiosmtpd.controller import Controller

    sink = SMTPSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        controller.stop()


class Dovecot:
    """A private dovecot serving one passwd-file user's maildir over plain IMAP on loopback."""

    user, password = "replies", "pw-replies-12345"

    def __init__(self) -> None:
        # Not under pytest's 0700 temporary folders: dovecot's mail processes run unprivileged.
        self.dir = Path(tempfile.mkdtemp(prefix="foitrack-dovecot-"))
        self.dir.chmod(0o755)
        self.port = free_port()
        self.url = f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"
        self.proc: subprocess.Popen | None = None

    def _config(self) -> Path:
        if os.geteuid() == 0:
            # Dovecot will not touch mail as root; its own unprivileged users are the package's.
            mail_user, mail_group = "nobody", "nogroup"
            internal = ""
        else:
            me = pwd.getpwuid(os.geteuid())
            mail_user, mail_group = str(me.pw_uid), str(me.pw_gid)
            internal = (
                f"default_internal_user = {me.pw_name}\ndefault_login_user = {me.pw_name}\n"
                f"default_internal_group = {me.pw_gid}\n"
            )
        mail = self.dir / "mail"
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(mail, mail_user, mail_group)
        (self.dir / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        config = self.dir / "dovecot.conf"
        config.write_text(
            f"""protocols = imap
listen = 127.0.0.1
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
mail_location = maildir:{mail}/%u
{internal}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        return config

    def start(self) -> None:
        config = self._config()
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise AssertionError(f"dovecot did not start:\n{self.log()}")

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def mailbox(self):
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted("127.0.0.1", self.port).login(self.user, self.password)

    def deliver(self, raw: bytes) -> None:
        """Put a message in the INBOX, as a mail server delivering it would."""
        with self.mailbox() as box:
            box.append(raw, "INBOX")

    def empty(self) -> None:
        with self.mailbox() as box:
            uids = [m.uid for m in box.fetch(headers_only=True, mark_seen=False)]
            if uids:
                box.delete(uids)


@pytest.fixture(scope="session")
def dovecot_server():
    if not Path(DOVECOT).exists():
        if IN_CI:
            pytest.fail("CI=true requires dovecot (apt-get install dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_mailbox(dovecot_server, settings) -> Dovecot:
    """The private dovecot's INBOX, emptied, and IMAP_URL pointing at it."""
    dovecot_server.empty()
    settings.IMAP_URL = dovecot_server.url
    return dovecot_server
