"""
Test certificates: a CA made with trustme and the server certificate it issues for localhost
and 127.0.0.1, with what the servers and clients of the tests need of them.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import attrs
import trustme


@attrs.frozen
class Certificates:
    """
    A test CA and a server certificate it issued for localhost and 127.0.0.1, as PEM files.
    """

    ca_file: Path
    key_file: Path
    cert_file: Path
    key_and_chain: bytes

    def server_options(self):
        from twisted.internet.ssl import PrivateCertificate

        return PrivateCertificate.loadPEM(self.key_and_chain).options()

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def https_client(self):
        from treq.client import HTTPClient
        from twisted.internet import reactor
        from twisted.internet.ssl import Certificate
        from twisted.web.client import Agent, BrowserLikePolicyForHTTPS

        trust = Certificate.loadPEM(self.ca_file.read_bytes())
        return HTTPClient(Agent(reactor, BrowserLikePolicyForHTTPS(trustRoot=trust)))


def make_certificates(folder: Path) -> Certificates:
    """
    A new test CA and the server certificate it issues, written in C{folder}.
    """
    ca = trustme.CA()
    issued = ca.issue_cert("localhost", "127.0.0.1")
    found = Certificates(folder / "ca.pem", folder / "key.pem", folder / "cert.pem",
                         issued.private_key_and_cert_chain_pem.bytes())
    ca.cert_pem.write_to_path(str(found.ca_file))
    issued.private_key_pem.write_to_path(str(found.key_file))
    for blob in issued.cert_chain_pems:
        blob.write_to_path(str(found.cert_file), append=True)
    return found
