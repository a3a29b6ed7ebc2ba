"""Just enough ASN.1 DER reading to tell a real X.509 certificate or PKCS#8 RSA key from garbage.

A real management server checks ``uploadCustomCertificate`` input by loading it
into a Java key store: the certificate through ``CertificateFactory`` (X.509),
the key as a PKCS#8 RSA key (``KeyFactory("RSA")``). The simulator accepts what
those accept, structurally (stdlib only, no signature checks): PEM base64 that
decodes to a DER ``Certificate`` / ``PrivateKeyInfo`` with the rsaEncryption
algorithm. Like Java's key store it does not check that the key belongs to the
certificate.
"""
from __future__ import annotations

import base64
import binascii
import re

SEQUENCE, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 0x30, 0x02, 0x03, 0x04, 0x05, 0x06
RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")      # 1.2.840.113549.1.1.1

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


class DerError(ValueError):
    """The bytes are not the DER structure expected."""


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """(tag, content, offset after the element) of the element at ``offset``."""
    if offset + 2 > len(data):
        raise DerError("truncated element")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise DerError("element longer than its container")
    return tag, data[offset:end], end


def children(content: bytes) -> list[tuple[int, bytes]]:
    """The elements inside a constructed element's content, which they must fill exactly."""
    out, offset = [], 0
    while offset < len(content):
        tag, inner, offset = read_tlv(content, offset)
        out.append((tag, inner))
    return out


def _only_element(data: bytes, tag: int) -> bytes:
    found, inner, end = read_tlv(data)
    if found != tag or end != len(data):
        raise DerError(f"expected a single element of tag {tag:#x}")
    return inner


def pem_body(text: str, label: str) -> bytes | None:
    """The decoded base64 of the first ``-----BEGIN <label>-----`` block, or None when there is none."""
    for found_label, body in _PEM_BLOCK.findall(text):
        if found_label == label:
            try:
                return base64.b64decode("".join(body.split()), validate=True)
            except (binascii.Error, ValueError):
                return None
    return None


def is_x509_certificate(der: bytes | None) -> bool:
    """Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING }."""
    if not der:
        return False
    try:
        parts = children(_only_element(der, SEQUENCE))
        if [tag for tag, _ in parts] != [SEQUENCE, SEQUENCE, BIT_STRING]:
            return False
        tbs = children(parts[0][1])
        if tbs and tbs[0][0] == 0xA0:                  # [0] EXPLICIT version
            tbs = tbs[1:]
        # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
        return [tag for tag, _ in tbs[:6]] == [INTEGER, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE]
    except DerError:
        return False


def is_pkcs8_rsa_key(der: bytes | None) -> bool:
    """PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE { rsaEncryption, ... },
    privateKey OCTET STRING (an RSAPrivateKey: a SEQUENCE of nine INTEGERs) }."""
    if not der:
        return False
    try:
        parts = children(_only_element(der, SEQUENCE))
        if len(parts) < 3 or [tag for tag, _ in parts[:3]] != [INTEGER, SEQUENCE, OCTET_STRING]:
            return False
        algorithm = children(parts[1][1])
        if not algorithm or algorithm[0] != (OID, RSA_ENCRYPTION_OID):
            return False
        numbers = children(_only_element(parts[2][1], SEQUENCE))
        return len(numbers) == 9 and all(tag == INTEGER for tag, _ in numbers)
    except DerError:
        return False


def key_body(text: str) -> bytes | None:
    """A private key's bytes the way the server reads them: whatever is between the first ``-----...-----``
    header line and the footer, base64-decoded (so a PKCS#1 ``RSA PRIVATE KEY`` block decodes too, and then
    fails the PKCS#8 check, as it does on a real server)."""
    match = re.search(r"-----[^-]+-----(.*?)-----[^-]+-----", text, re.DOTALL)
    body = match.group(1) if match else text
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
