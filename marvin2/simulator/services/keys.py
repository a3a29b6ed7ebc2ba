"""Just enough RSA for SSH key pairs, with the standard library only.

createSSHKeyPair answers a new private key (PEM, PKCS#1 "RSA PRIVATE KEY")
and stores the OpenSSH public key; registerSSHKeyPair parses a given public
key; getVMPassword encrypts the VM password with the key pair's public key
(PKCS#1 v1.5 padding, as a real server does). Fingerprints are the MD5
colon-hex form CloudStack shows. Keys are generated with ``secrets`` and
Miller-Rabin; they are real keys (``ssh-keygen -y`` accepts them).
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import struct

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


def _probably_prime(n: int, rounds: int = 40) -> bool:
    if n < 2:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, e: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if candidate % e != 1 and _probably_prime(candidate):
            return candidate


def generate(bits: int = 2048) -> dict:
    """A new RSA key: ``{"n", "e", "d", "p", "q"}`` (``cryptography`` when installed: 20x faster)."""
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        return _generate_here(bits)
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=bits).private_numbers()
    return {"n": numbers.public_numbers.n, "e": numbers.public_numbers.e, "d": numbers.d, "p": numbers.p,
            "q": numbers.q}


def _generate_here(bits: int) -> dict:
    e = 65537
    while True:
        p, q = _prime(bits // 2, e), _prime(bits // 2, e)
        if p == q:
            continue
        n = p * q
        if n.bit_length() != bits:
            continue
        phi = (p - 1) * (q - 1)
        d = pow(e, -1, phi)
        return {"n": n, "e": e, "d": d, "p": p, "q": q}


# --- encodings ------------------------------------------------------------------------------------------


def _der_length(length: int) -> bytes:
    if length < 128:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_int(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")
    return b"\x02" + _der_length(len(raw)) + raw


def private_pem(key: dict) -> str:
    p, q, d = key["p"], key["q"], key["d"]
    fields = [0, key["n"], key["e"], d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)]
    body = b"".join(_der_int(v) for v in fields)
    der = b"\x30" + _der_length(len(body)) + body
    text = base64.b64encode(der).decode()
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _ssh_mpint(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return _ssh_string(raw)


def public_openssh(key: dict, comment: str = "") -> str:
    blob = _ssh_string(b"ssh-rsa") + _ssh_mpint(key["e"]) + _ssh_mpint(key["n"])
    text = "ssh-rsa " + base64.b64encode(blob).decode()
    return f"{text} {comment}".strip()


def parse_public(text: str) -> tuple[str, bytes, int, int]:
    """``(key type, blob, e, n)`` of an OpenSSH public key line; ValueError when it is not one."""
    parts = text.strip().split()
    if len(parts) < 2:
        raise ValueError("expected '<type> <base64 key> [comment]'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError:
        raise ValueError("the key part is not base64") from None
    fields, offset = [], 0
    while offset < len(blob):
        if offset + 4 > len(blob):
            raise ValueError("truncated key")
        (size,) = struct.unpack(">I", blob[offset:offset + 4])
        fields.append(blob[offset + 4:offset + 4 + size])
        offset += 4 + size
    if not fields or fields[0].decode("ascii", "replace") != parts[0]:
        raise ValueError("the key type does not match the key data")
    e = n = 0
    if parts[0] == "ssh-rsa":
        if len(fields) != 3:
            raise ValueError("an ssh-rsa key has an exponent and a modulus")
        e, n = int.from_bytes(fields[1], "big"), int.from_bytes(fields[2], "big")
    elif not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
        raise ValueError(f"unknown key type {parts[0]}")
    return parts[0], blob, e, n


def fingerprint(public_key: str) -> str:
    _, blob, _, _ = parse_public(public_key)
    digest = hashlib.md5(blob).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def encrypt_for_public_key(public_key: str, message: bytes) -> bytes:
    """RSA PKCS#1 v1.5 encryption with an OpenSSH ``ssh-rsa`` public key."""
    kind, _, e, n = parse_public(public_key)
    if kind != "ssh-rsa":
        raise ValueError(f"only ssh-rsa keys can encrypt passwords, not {kind}")
    size = (n.bit_length() + 7) // 8
    if len(message) > size - 11:
        raise ValueError("message too long for the key")
    padding = bytearray()
    while len(padding) < size - 3 - len(message):
        byte = secrets.token_bytes(1)
        if byte != b"\x00":
            padding += byte
    block = b"\x00\x02" + bytes(padding) + b"\x00" + message
    return pow(int.from_bytes(block, "big"), e, n).to_bytes(size, "big")
