"""Services reach NATS over TLS, mutual TLS included, with nothing but settings: a real nats-server with a
``tls`` block (``verify: true``), certificates made by the test, and ``oneclick_core.bus.connect``."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from oneclick_cli.processes import free_port, stop_process, venv_binary, wait_for_port
from oneclick_core.bus.connection import connect, connect_options
from oneclick_core.settings import CoreSettings


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


class Authority:
    """A throwaway certificate authority writing PEM files into ``directory``."""

    def __init__(self, directory: Path, name: str) -> None:
        self._directory = directory
        self._name = name
        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        self._subject = subject
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )
        self.cert = directory / f"{name}-ca.pem"
        self.cert.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, name: str, *, server: bool) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self._subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        cert = builder.sign(self._key, hashes.SHA256())
        issued = Issued(self._directory / f"{self._name}-{name}.pem", self._directory / f"{self._name}-{name}.key")
        issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        issued.key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return issued


@dataclass(frozen=True)
class TlsNats:
    url: str
    authority: Authority
    client: Issued


@pytest.fixture(scope="module")
def tls_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsNats]:
    directory = tmp_path_factory.mktemp("nats-tls")
    authority = Authority(directory, "oneclick")
    server = authority.issue("server", server=True)
    client = authority.issue("records", server=False)
    port = free_port()
    config = directory / "nats.conf"
    config.write_text(
        f'listen: "127.0.0.1:{port}"\n'
        f'jetstream {{ store_dir: "{directory / "store"}" }}\n'
        f'tls {{\n  cert_file: "{server.cert}"\n  key_file: "{server.key}"\n  ca_file: "{authority.cert}"\n'
        "  verify: true\n  timeout: 2\n}\n"
    )
    process = subprocess.Popen(
        [str(venv_binary("nats-server")), "-c", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, 20, process)
        yield TlsNats(f"tls://127.0.0.1:{port}", authority, client)
    finally:
        stop_process(process, timeout=10)


def _settings(url: str, **files: Path) -> CoreSettings:
    return CoreSettings(nats_url=url, **{f"nats_tls_{name}_file": path for name, path in files.items()})


async def test_a_client_certificate_from_settings_passes_mutual_tls(tls_nats: TlsNats) -> None:
    settings = _settings(tls_nats.url, ca=tls_nats.authority.cert, cert=tls_nats.client.cert, key=tls_nats.client.key)
    nc = await connect(settings, "tls-test", attempts=1)
    try:
        sub = await nc.subscribe("tls.echo")
        await nc.publish("tls.echo", b"over tls")
        message = await sub.next_msg(timeout=5)
        assert message.data == b"over tls"
        info = await nc.jetstream().account_info()  # JetStream answers through the same verified connection
        assert info.limits is not None
    finally:
        await nc.close()


async def _refused(settings: CoreSettings) -> list[Exception]:
    """Connect once with the options services use (they retry forever; one attempt shows why it fails)."""
    errors: list[Exception] = []

    async def record(exc: Exception) -> None:
        errors.append(exc)

    options = {**connect_options(settings, "refused"), "allow_reconnect": False, "max_reconnect_attempts": 0}
    with pytest.raises(Exception):  # noqa: B017 - nats-py reports the failed handshake as its own error type
        await nats.connect(**options, error_cb=record)
    return errors


async def test_without_a_client_certificate_the_server_refuses(tls_nats: TlsNats) -> None:
    errors = await _refused(_settings(tls_nats.url, ca=tls_nats.authority.cert))
    assert errors, "the refusal was reported"  # the server drops the handshake (a broken pipe here)


async def test_a_server_signed_by_another_ca_is_not_trusted(tls_nats: TlsNats, tmp_path: Path) -> None:
    stranger = Authority(tmp_path, "stranger")
    errors = await _refused(
        _settings(tls_nats.url, ca=stranger.cert, cert=tls_nats.client.cert, key=tls_nats.client.key)
    )
    assert any(isinstance(error, ssl.SSLCertVerificationError) for error in errors), errors


def test_a_key_without_a_certificate_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ONECLICK_NATS_TLS_CERT_FILE"):
        connect_options(_settings("tls://127.0.0.1:4222", key=tmp_path / "client.key"), "x")
