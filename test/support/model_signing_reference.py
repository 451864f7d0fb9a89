#!/usr/bin/env python3
"""Independent reference verifier for OpenSSF Model Signing (OMS v1.0) bundles.

It follows the verification rules of model_signing v1.1 (the Python tool) for
bundles signed with an elliptic-curve key or with a private X.509 certificate
chain. It was written from a list of those rules, not from model_signing's
code, so that aiprov's output can be checked by an implementation that shares
none of aiprov's code. Only `cryptography` and the standard library are used.

    python3 model_signing_reference.py --model PATH --signature SIG \
        (--public-key KEY.pem | --certificate-chain ROOT.pem [MORE.pem ...]) \
        [--ignore-paths PATH ...]

Exit status: 0 and "OK" on success; 1 and the reason on a rejected bundle or
model; 2 on a usage error; 3 on an internal error of this script (a bug here,
never a verdict on the input).

The rules, in order:

1. The bundle is JSON in the Sigstore bundle v0.3 schema, with no field the
   schema does not define anywhere (model_signing's bundle model forbids extra
   fields); `mediaType` is `application/vnd.dev.sigstore.bundle.v0.3+json`;
   every bytes field is canonical, padded, standard base64.
2. The DSSE envelope has payloadType `application/vnd.in-toto+json` and
   exactly one signature: ECDSA (DER) over the DSSE PAE with the curve's hash
   (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512).
3. Key bundles: `verificationMaterial.publicKey.hint` is the lowercase hex
   SHA-256 of the verifier's public key as SPKI PEM text.
   Certificate bundles: `x509CertificateChain` is the leaf, then untrusted
   intermediates; the chain must reach a self-signed certificate from the
   verifier's chain files, with every certificate valid at the leaf's
   notBefore (the OpenSSL store time model_signing sets); the leaf must allow
   digitalSignature (KeyUsage) or else codeSigning (ExtendedKeyUsage); the
   leaf's key verifies the DSSE signature.
4. The payload is an in-toto Statement v1 with predicateType
   `https://model_signing/signature/v1.0` and exactly one subject, whose
   sha256 is the SHA-256 of the raw resource digests concatenated in payload
   order.
5. The model is hashed again with the bundle's own serialization parameters
   (method, hash_type, shard_size, allow_symlinks, ignore_paths, plus the
   signature file) and the name -> (algorithm, digest) mapping must equal the
   signed one; any difference is reported as missing / extra / changed.

Where model_signing is lenient in a way that cannot matter for a producer
(duplicate JSON keys, non-canonical base64 padding bits), this script is
stricter; it never accepts what model_signing rejects. It also leaves out
model_signing's read-side compatibility for bundles from before v1.0.1 (a
`publicKey` with rawBytes/keyDetails or no hint, a null `keyid`, the v0.2
PAE bug): a producer must write the v1.1 form, so v1.1.0 golden bundles
verify here and older ones are rejected. Like model_signing it does not look
at `tlogEntries` or timestamps of key and certificate bundles (their shape is
still checked).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import itertools
import json
import os
import pathlib
import sys
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
HASH_TYPES = ("sha256", "blake2b")
CURVE_HASHES = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}
MAX_CHAIN_DEPTH = 100  # OpenSSL's default verify depth
READ_CHUNK = 1 << 20


class Rejected(Exception):
    """The bundle or the model does not verify; the message says why."""


# --------------------------------------------------------------------------
# 1. Bundle JSON, strictly against the Sigstore bundle v0.3 schema.
# --------------------------------------------------------------------------

# A schema node is "string", "bytes", "int64", "bool", a list [item] or a dict
# {field: node}. Protobuf JSON writes int64 as a string but accepts a number.
_BYTES_LIST = ["bytes"]
_CHECKPOINT = {"envelope": "string"}
_INCLUSION_PROOF = {
    "logIndex": "int64",
    "rootHash": "bytes",
    "treeSize": "int64",
    "hashes": _BYTES_LIST,
    "checkpoint": _CHECKPOINT,
}
_TLOG_ENTRY = {
    "logIndex": "int64",
    "logId": {"keyId": "bytes"},
    "kindVersion": {"kind": "string", "version": "string"},
    "integratedTime": "int64",
    "inclusionPromise": {"signedEntryTimestamp": "bytes"},
    "inclusionProof": _INCLUSION_PROOF,
    "canonicalizedBody": "bytes",
}
_VERIFICATION_MATERIAL = {
    "publicKey": {"hint": "string"},
    "x509CertificateChain": {"certificates": [{"rawBytes": "bytes"}]},
    "certificate": {"rawBytes": "bytes"},
    "tlogEntries": [_TLOG_ENTRY],
    "timestampVerificationData": {"rfc3161Timestamps": [{"signedTimestamp": "bytes"}]},
}
_DSSE_ENVELOPE = {
    "payload": "bytes",
    "payloadType": "string",
    "signatures": [{"sig": "bytes", "keyid": "string"}],
}
BUNDLE_SCHEMA = {
    "mediaType": "string",
    "verificationMaterial": _VERIFICATION_MATERIAL,
    "dsseEnvelope": _DSSE_ENVELOPE,
}


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise Rejected(f"duplicate JSON key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise Rejected(f"JSON constant {name} is not allowed")


def parse_json(data: bytes, what: str) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejected(f"{what} is not UTF-8: {error}") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise Rejected(f"{what} is not JSON: {error}") from None


def decode_base64(value: str, where: str) -> bytes:
    """Standard alphabet, padding required, canonical (re-encodes to itself)."""
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Rejected(f"{where} is not standard padded base64: {error}") from None
    if base64.b64encode(decoded).decode("ascii") != value:
        raise Rejected(f"{where} is not canonical standard padded base64")
    return decoded


def check_schema(value: Any, node: Any, where: str) -> None:
    if isinstance(node, dict):
        if not isinstance(value, dict):
            raise Rejected(f"{where} must be a JSON object")
        for key, child in value.items():
            if key not in node:
                raise Rejected(f"unknown field {where}.{key}")
            check_schema(child, node[key], f"{where}.{key}")
    elif isinstance(node, list):
        if not isinstance(value, list):
            raise Rejected(f"{where} must be a JSON array")
        for index, item in enumerate(value):
            check_schema(item, node[0], f"{where}[{index}]")
    elif node == "string":
        if not isinstance(value, str):
            raise Rejected(f"{where} must be a string")
    elif node == "bytes":
        if not isinstance(value, str):
            raise Rejected(f"{where} must be a base64 string")
        decode_base64(value, where)
    elif node == "int64":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())):
            raise Rejected(f"{where} must be an int64")
    elif node == "bool":
        if not isinstance(value, bool):
            raise Rejected(f"{where} must be a boolean")
    else:  # pragma: no cover - a bug in the schema above
        raise AssertionError(f"bad schema node {node!r}")


def require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in mapping:
        raise Rejected(f"{where}.{key} is missing")
    return mapping[key]


def read_bundle(path: pathlib.Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise Rejected(f"cannot read signature {path}: {error}") from None
    bundle = parse_json(data, f"signature {path}")
    check_schema(bundle, BUNDLE_SCHEMA, "bundle")
    media_type = require(bundle, "mediaType", "bundle")
    if media_type != BUNDLE_MEDIA_TYPE:
        raise Rejected(f"bundle.mediaType is {media_type!r}, expected {BUNDLE_MEDIA_TYPE!r}")
    material = require(bundle, "verificationMaterial", "bundle")
    present = [key for key in ("publicKey", "x509CertificateChain", "certificate") if key in material]
    if len(present) != 1:
        raise Rejected(f"verificationMaterial must hold exactly one of publicKey, x509CertificateChain, certificate; holds {present}")
    require(bundle, "dsseEnvelope", "bundle")
    return bundle


# --------------------------------------------------------------------------
# 2. DSSE.
# --------------------------------------------------------------------------


def pae(payload_type: str, payload: bytes) -> bytes:
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


def dsse_parts(bundle: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Returns (PAE bytes, DER signature) after checking the envelope's shape."""
    envelope = bundle["dsseEnvelope"]
    payload_type = require(envelope, "payloadType", "dsseEnvelope")
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise Rejected(f"dsseEnvelope.payloadType is {payload_type!r}, expected {IN_TOTO_PAYLOAD_TYPE!r}")
    signatures = require(envelope, "signatures", "dsseEnvelope")
    if len(signatures) != 1:
        raise Rejected(f"dsseEnvelope must hold exactly one signature, holds {len(signatures)}")
    payload = decode_base64(require(envelope, "payload", "dsseEnvelope"), "dsseEnvelope.payload")
    signature = decode_base64(require(signatures[0], "sig", "dsseEnvelope.signatures[0]"), "dsseEnvelope.signatures[0].sig")
    return pae(payload_type, payload), signature


def verify_ecdsa(public_key: Any, signature: bytes, message: bytes, who: str) -> None:
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise Rejected(f"{who} is not an elliptic-curve key ({type(public_key).__name__})")
    hash_class = CURVE_HASHES.get(public_key.curve.name)
    if hash_class is None:
        raise Rejected(f"{who} uses unsupported curve {public_key.curve.name}")
    try:
        public_key.verify(signature, message, ec.ECDSA(hash_class()))
    except InvalidSignature:
        raise Rejected(f"the DSSE signature does not verify with {who} ({public_key.curve.name}/{hash_class.name})") from None


# --------------------------------------------------------------------------
# 3a. Key bundles.
# --------------------------------------------------------------------------


def verify_with_key(bundle: Mapping[str, Any], key_path: pathlib.Path) -> None:
    try:
        public_key = serialization.load_pem_public_key(key_path.read_bytes())
    except (OSError, ValueError, UnsupportedAlgorithm) as error:
        raise Rejected(f"cannot load public key {key_path}: {error}") from None
    material = bundle["verificationMaterial"]
    if "publicKey" not in material:
        raise Rejected("the bundle carries no verificationMaterial.publicKey (was it signed with a key?)")
    hint = require(material["publicKey"], "hint", "verificationMaterial.publicKey")
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    expected_hint = hashlib.sha256(pem).hexdigest()
    if hint != expected_hint:
        raise Rejected(f"key mismatch: verificationMaterial.publicKey.hint is {hint!r}, the given key hashes to {expected_hint!r}")
    message, signature = dsse_parts(bundle)
    verify_ecdsa(public_key, signature, message, f"public key {key_path}")


# --------------------------------------------------------------------------
# 3b. Certificate bundles: an X.509 path walk with OpenSSL's default checks.
# --------------------------------------------------------------------------

# Extensions OpenSSL understands; any other extension marked critical fails.
_HANDLED_EXTENSIONS = {
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.KEY_USAGE,
    ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.NAME_CONSTRAINTS,
    ExtensionOID.POLICY_MAPPINGS,
    ExtensionOID.POLICY_CONSTRAINTS,
    ExtensionOID.INHIBIT_ANY_POLICY,
    x509.ObjectIdentifier("2.16.840.1.113730.1.1"),  # Netscape cert type
    x509.ObjectIdentifier("1.3.6.1.5.5.7.1.14"),  # proxyCertInfo
    x509.ObjectIdentifier("1.3.6.1.5.5.7.1.7"),  # sbgp-ipAddrBlock
    x509.ObjectIdentifier("1.3.6.1.5.5.7.1.8"),  # sbgp-autonomousSysNum
}


def _extension(certificate: x509.Certificate, extension_class: type) -> Any:
    try:
        return certificate.extensions.get_extension_for_class(extension_class).value
    except x509.ExtensionNotFound:
        return None


def _canonical_name(name: x509.Name) -> tuple[Any, ...]:
    """Name comparison in the spirit of OpenSSL's canonical encoding (case and spaces folded)."""
    rdns = []
    for rdn in name.rdns:
        attributes = []
        for attribute in rdn:
            value = attribute.value
            if isinstance(value, str):
                value = " ".join(value.lower().split())
            attributes.append((attribute.oid.dotted_string, value))
        rdns.append(tuple(sorted(attributes, key=repr)))
    return tuple(rdns)


def _describe(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string() or "<empty subject>"


def _is_self_issued(certificate: x509.Certificate) -> bool:
    return _canonical_name(certificate.subject) == _canonical_name(certificate.issuer)


def _signature_verifies(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    data = certificate.tbs_certificate_bytes
    params = certificate.signature_algorithm_parameters
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if not isinstance(params, (padding.PKCS1v15, padding.PSS)) or certificate.signature_hash_algorithm is None:
                return False
            key.verify(certificate.signature, data, params, certificate.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(params, ec.ECDSA):
                return False
            key.verify(certificate.signature, data, params)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(certificate.signature, data)
        elif isinstance(key, dsa.DSAPublicKey):
            if certificate.signature_hash_algorithm is None:
                return False
            key.verify(certificate.signature, data, certificate.signature_hash_algorithm)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _could_issue(issuer: x509.Certificate, certificate: x509.Certificate) -> bool:
    """OpenSSL's X509_check_issued: names, key identifiers, keyCertSign."""
    if _canonical_name(issuer.subject) != _canonical_name(certificate.issuer):
        return False
    authority_key_id = _extension(certificate, x509.AuthorityKeyIdentifier)
    subject_key_id = _extension(issuer, x509.SubjectKeyIdentifier)
    if authority_key_id is not None and authority_key_id.key_identifier is not None and subject_key_id is not None:
        if authority_key_id.key_identifier != subject_key_id.digest:
            return False
    key_usage = _extension(issuer, x509.KeyUsage)
    if key_usage is not None and not key_usage.key_cert_sign:
        return False
    return True


def _is_self_signed(certificate: x509.Certificate) -> bool:
    return _could_issue(certificate, certificate) and _signature_verifies(certificate, certificate)


def _may_act_as_ca(certificate: x509.Certificate) -> bool:
    """OpenSSL's X509_check_ca in its default (non-strict) mode."""
    basic_constraints = _extension(certificate, x509.BasicConstraints)
    if basic_constraints is not None:
        return bool(basic_constraints.ca)
    if certificate.version == x509.Version.v1 and _is_self_issued(certificate):
        return True  # a v1 root
    key_usage = _extension(certificate, x509.KeyUsage)
    return key_usage is not None and key_usage.key_cert_sign


def _valid_at(certificate: x509.Certificate, when: Any) -> bool:
    return certificate.not_valid_before_utc <= when <= certificate.not_valid_after_utc


def verify_chain(leaf: x509.Certificate, untrusted: list[x509.Certificate], trusted: list[x509.Certificate]) -> list[x509.Certificate]:
    """Builds leaf -> ... -> trusted self-signed root; trusted issuers are preferred (OpenSSL's trusted-first)."""
    when = leaf.not_valid_before_utc
    trusted_der = {certificate.public_bytes(serialization.Encoding.DER) for certificate in trusted}

    def is_trusted(certificate: x509.Certificate) -> bool:
        return certificate.public_bytes(serialization.Encoding.DER) in trusted_der

    chain = [leaf]
    current = leaf
    while not (is_trusted(current) and _is_self_signed(current)):
        if len(chain) > MAX_CHAIN_DEPTH:
            raise Rejected(f"certificate chain is longer than {MAX_CHAIN_DEPTH}")
        if _is_self_signed(current):
            raise Rejected(f"self-signed certificate {_describe(current)!r} in the chain is not trusted")
        candidates = [c for c in itertools.chain(trusted, untrusted) if c not in chain and _could_issue(c, current)]
        issuer = next((c for c in candidates if _signature_verifies(current, c)), None)
        if issuer is None:
            raise Rejected(f"unable to get the issuer of {_describe(current)!r} (issuer {current.issuer.rfc4514_string()!r}) among the trusted and bundle certificates")
        chain.append(issuer)
        current = issuer

    non_self_issued_below = 0
    for index, certificate in enumerate(chain):
        if not _valid_at(certificate, when):
            raise Rejected(
                f"certificate {_describe(certificate)!r} is not valid at the leaf's notBefore {when.isoformat()} "
                f"(valid {certificate.not_valid_before_utc.isoformat()} to {certificate.not_valid_after_utc.isoformat()})"
            )
        for extension in certificate.extensions:
            if extension.critical and extension.oid not in _HANDLED_EXTENSIONS:
                raise Rejected(f"certificate {_describe(certificate)!r} has an unhandled critical extension {extension.oid.dotted_string}")
        if index == 0:
            continue
        if not _may_act_as_ca(certificate):
            raise Rejected(f"certificate {_describe(certificate)!r} issued {_describe(chain[index - 1])!r} but is not a CA")
        basic_constraints = _extension(certificate, x509.BasicConstraints)
        path_length = None if basic_constraints is None else basic_constraints.path_length
        if index > 1 and path_length is not None and non_self_issued_below > path_length:
            raise Rejected(f"certificate {_describe(certificate)!r} has pathLen {path_length}, exceeded by the chain")
        if not _is_self_issued(certificate):
            non_self_issued_below += 1
    return chain


def check_signing_usage(leaf: x509.Certificate) -> None:
    key_usage = _extension(leaf, x509.KeyUsage)
    if key_usage is not None and key_usage.digital_signature:
        return
    extended_key_usage = _extension(leaf, x509.ExtendedKeyUsage)
    if extended_key_usage is not None and ExtendedKeyUsageOID.CODE_SIGNING in extended_key_usage:
        return
    raise Rejected(f"signing certificate {_describe(leaf)!r} cannot be used for signing (no KeyUsage digitalSignature, no ExtendedKeyUsage codeSigning)")


def load_trust_store(paths: Iterable[pathlib.Path]) -> list[x509.Certificate]:
    trusted: list[x509.Certificate] = []
    for path in paths:
        try:
            trusted.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as error:
            raise Rejected(f"cannot load certificates from {path}: {error}") from None
    if not trusted:
        raise Rejected("the certificate chain files hold no certificate")
    return trusted


def verify_with_certificates(bundle: Mapping[str, Any], chain_paths: list[pathlib.Path]) -> None:
    trusted = load_trust_store(chain_paths)
    material = bundle["verificationMaterial"]
    if "x509CertificateChain" not in material:
        raise Rejected("the bundle carries no verificationMaterial.x509CertificateChain (was it signed with a certificate?)")
    raw = require(material["x509CertificateChain"], "certificates", "verificationMaterial.x509CertificateChain")
    if not raw:
        raise Rejected("verificationMaterial.x509CertificateChain.certificates is empty")
    certificates = []
    for index, entry in enumerate(raw):
        where = f"verificationMaterial.x509CertificateChain.certificates[{index}].rawBytes"
        try:
            certificates.append(x509.load_der_x509_certificate(decode_base64(require(entry, "rawBytes", where[:-9]), where)))
        except ValueError as error:
            raise Rejected(f"{where} is not a DER certificate: {error}") from None
    leaf, intermediates = certificates[0], certificates[1:]
    verify_chain(leaf, intermediates, trusted)
    check_signing_usage(leaf)
    message, signature = dsse_parts(bundle)
    verify_ecdsa(leaf.public_key(), signature, message, f"signing certificate {_describe(leaf)!r}")


# --------------------------------------------------------------------------
# 4. Statement -> signed manifest.
# --------------------------------------------------------------------------


class Serialization:
    def __init__(self, fields: Mapping[str, Any]):
        if not isinstance(fields, dict):
            raise Rejected("predicate.serialization must be an object")
        self.method = require(fields, "method", "predicate.serialization")
        if self.method not in ("files", "shards"):
            raise Rejected(f"predicate.serialization.method {self.method!r} is not files or shards")
        self.hash_type = require(fields, "hash_type", "predicate.serialization")
        if self.hash_type not in HASH_TYPES:
            raise Rejected(f"predicate.serialization.hash_type {self.hash_type!r} is not supported (expected one of {HASH_TYPES})")
        self.allow_symlinks = require(fields, "allow_symlinks", "predicate.serialization")
        if not isinstance(self.allow_symlinks, bool):
            raise Rejected("predicate.serialization.allow_symlinks must be a boolean")
        ignore_paths = fields.get("ignore_paths", [])
        if not isinstance(ignore_paths, list) or not all(isinstance(item, str) for item in ignore_paths):
            raise Rejected("predicate.serialization.ignore_paths must be a list of strings")
        self.ignore_paths: list[str] = ignore_paths
        self.shard_size: int | None = None
        if self.method == "shards":
            shard_size = require(fields, "shard_size", "predicate.serialization")
            if isinstance(shard_size, bool) or not isinstance(shard_size, (int, float)):
                raise Rejected(f"predicate.serialization.shard_size must be a number, got {shard_size!r}")
            if shard_size != int(shard_size) or shard_size <= 0:
                raise Rejected(f"predicate.serialization.shard_size must be a positive integer, got {shard_size!r}")
            self.shard_size = int(shard_size)

    @property
    def algorithm(self) -> str:
        """The per-resource algorithm name the hasher reports."""
        if self.method == "shards":
            return f"{self.hash_type}-sharded-{self.shard_size}"
        return self.hash_type

    def new_hash(self) -> Any:
        return hashlib.sha256() if self.hash_type == "sha256" else hashlib.blake2b()


# A manifest maps a resource key (file path, or (path, start, end)) to (algorithm, raw digest).
Manifest = dict[Any, tuple[str, bytes]]


def resource_key(name: str, method: str) -> Any:
    if method == "files":
        return str(pathlib.PurePosixPath(name))
    parts = name.split(":")
    if len(parts) != 3:
        raise Rejected(f"shard resource name {name!r} is not path:start:end")
    try:
        return (str(pathlib.PurePosixPath(parts[0])), int(parts[1]), int(parts[2]))
    except ValueError:
        raise Rejected(f"shard resource name {name!r} has non-integer offsets") from None


def key_name(key: Any) -> str:
    return key if isinstance(key, str) else f"{key[0]}:{key[1]}:{key[2]}"


def read_statement(bundle: Mapping[str, Any]) -> tuple[Serialization, Manifest]:
    payload = decode_base64(bundle["dsseEnvelope"]["payload"], "dsseEnvelope.payload")
    statement = parse_json(payload, "the DSSE payload")
    if not isinstance(statement, dict):
        raise Rejected("the DSSE payload is not a JSON object")
    if statement.get("_type") != STATEMENT_TYPE:
        raise Rejected(f"statement _type is {statement.get('_type')!r}, expected {STATEMENT_TYPE!r}")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise Rejected(f"statement predicateType is {statement.get('predicateType')!r}, expected {PREDICATE_TYPE!r}")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1:
        raise Rejected(f"statement must have exactly one subject, has {len(subjects) if isinstance(subjects, list) else subjects!r}")
    subject = subjects[0]
    subject_digest = subject.get("digest", {}).get("sha256") if isinstance(subject, dict) and isinstance(subject.get("digest"), dict) else None
    if not isinstance(subject_digest, str):
        raise Rejected("statement subject[0].digest.sha256 is missing")
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict):
        raise Rejected("statement predicate is missing")
    serialization_params = Serialization(require(predicate, "serialization", "predicate"))
    resources = require(predicate, "resources", "predicate")
    if not isinstance(resources, list):
        raise Rejected("predicate.resources must be a list")
    root = hashlib.sha256()
    manifest: Manifest = {}
    for index, resource in enumerate(resources):
        where = f"predicate.resources[{index}]"
        if not isinstance(resource, dict):
            raise Rejected(f"{where} must be an object")
        name, algorithm, digest_hex = (require(resource, field, where) for field in ("name", "algorithm", "digest"))
        if not all(isinstance(item, str) for item in (name, algorithm, digest_hex)):
            raise Rejected(f"{where} name, algorithm and digest must be strings")
        try:
            digest = bytes.fromhex(digest_hex)
        except ValueError:
            raise Rejected(f"{where}.digest is not hex") from None
        root.update(digest)
        manifest[resource_key(name, serialization_params.method)] = (algorithm, digest)
    if root.hexdigest() != subject_digest:
        raise Rejected(f"manifest is inconsistent: the subject digest is {subject_digest}, the resources hash to {root.hexdigest()}")
    return serialization_params, manifest


# --------------------------------------------------------------------------
# 5. Re-hash the model with the bundle's serialization and compare.
# --------------------------------------------------------------------------


def _absolute(path: pathlib.Path) -> pathlib.Path:
    return pathlib.Path(os.path.abspath(path))


def list_model_files(model: pathlib.Path, ignored: list[pathlib.Path], allow_symlinks: bool) -> list[pathlib.Path]:
    files = []
    for path in itertools.chain((model,), model.glob("**/*") if model.is_dir() else ()):
        if any(path.is_relative_to(ignore) for ignore in ignored):
            continue
        if path.is_symlink() and not allow_symlinks:
            raise Rejected(f"{path} is a symbolic link and the signature does not allow symlinks")
        if path.is_file():
            files.append(path)
        elif not path.is_dir():
            raise Rejected(f"{path} is neither a regular file nor a directory")
    return files


def hash_range(path: pathlib.Path, start: int, end: int, serialization_params: Serialization) -> bytes:
    hasher = serialization_params.new_hash()
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = end - start
        while remaining > 0:
            chunk = handle.read(min(READ_CHUNK, remaining))
            if not chunk:
                break
            hasher.update(chunk)
            remaining -= len(chunk)
    return hasher.digest()


def hash_model(model: pathlib.Path, serialization_params: Serialization, ignored: list[pathlib.Path]) -> Manifest:
    manifest: Manifest = {}
    algorithm = serialization_params.algorithm
    for path in list_model_files(model, ignored, serialization_params.allow_symlinks):
        name = str(pathlib.PurePosixPath(*path.relative_to(model).parts)) if path != model else "."
        size = path.stat().st_size
        if serialization_params.method == "files":
            manifest[name] = (algorithm, hash_range(path, 0, size, serialization_params))
            continue
        shard_size = serialization_params.shard_size
        assert shard_size is not None
        start = 0
        for end in [*range(shard_size, size, shard_size), size] if size > 0 else []:
            manifest[(name, start, end)] = (algorithm, hash_range(path, start, end, serialization_params))
            start = end
    return manifest


def compare(signed: Manifest, actual: Manifest) -> None:
    missing = sorted((key for key in signed if key not in actual), key=repr)
    extra = sorted((key for key in actual if key not in signed), key=repr)
    changed = sorted((key for key in signed if key in actual and signed[key] != actual[key]), key=repr)
    if not (missing or extra or changed):
        return
    lines = ["the model does not match the signature:"]
    lines += [f"  missing (signed, not found): {key_name(key)}" for key in missing]
    lines += [f"  extra (found, not signed): {key_name(key)}" for key in extra]
    for key in changed:
        (signed_algorithm, signed_digest), (actual_algorithm, actual_digest) = signed[key], actual[key]
        lines.append(f"  changed: {key_name(key)}: signed {signed_algorithm}:{signed_digest.hex()}, found {actual_algorithm}:{actual_digest.hex()}")
    raise Rejected("\n".join(lines))


# --------------------------------------------------------------------------


def verify(args: argparse.Namespace) -> None:
    model = _absolute(pathlib.Path(args.model))
    signature = _absolute(pathlib.Path(args.signature))
    if not model.exists():
        raise Rejected(f"model path {model} does not exist")
    bundle = read_bundle(signature)
    if args.public_key is not None:
        verify_with_key(bundle, pathlib.Path(args.public_key))
    else:
        verify_with_certificates(bundle, [pathlib.Path(path) for path in args.certificate_chain])
    serialization_params, signed = read_statement(bundle)
    ignored = [_absolute(model / path) for path in [*serialization_params.ignore_paths, *(args.ignore_paths or [])]]
    ignored.append(signature)
    compare(signed, hash_model(model, serialization_params, ignored))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the model directory or file")
    parser.add_argument("--signature", required=True, help="the Sigstore bundle (model.sig)")
    trust = parser.add_mutually_exclusive_group(required=True)
    trust.add_argument("--public-key", help="PEM public key of a key bundle")
    trust.add_argument("--certificate-chain", nargs="+", help="PEM files with the trusted certificates (must include the root)")
    parser.add_argument("--ignore-paths", nargs="*", default=[], help="extra paths to leave out, relative to the model root")
    args = parser.parse_args(argv)
    try:
        verify(args)
    except Rejected as rejection:
        print(f"FAILED: {rejection}")
        return 1
    except Exception:  # a bug in this script, not a verdict on the input
        traceback.print_exc()
        return 3
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
