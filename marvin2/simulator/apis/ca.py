"""CA framework: listCAProviders, listCaCertificate, issueCertificate, provisionCertificate, revokeCertificate
(rules in services/ca.py; X.509 with the optional ``cryptography`` package)."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job, Raw
from marvin2.simulator.declare import P, api, declare_object
from marvin2.simulator.services import ca

declare_object("caprovider", {"name": "the CA provider name", "description": "what it is"})
declare_object("certificates", {"certificate": "the client certificate (PEM)",
                                "privatekey": "its private key (PEM; without a CSR only)",
                                "cacertificates": "the CA certificate(s) (PEM)"})


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


@api("listCAProviders", response="caprovider", description="Lists the CA provider plugins.",
     params=[P("name", "a provider name")])
def list_ca_providers(ctx):
    wanted = ctx.get("name")
    return ctx.paginate([{"name": n, "description": d} for n, d in ca.PROVIDERS.items() if not wanted or n == wanted])


@api("listCaCertificate", response="cacertificates", description="The CA certificate of a provider (PEM).",
     params=[P("provider", "the CA provider (default: ca.framework.provider.plugin)")])
def list_ca_certificate(ctx):
    pem = ca.ca_certificate_pem(ctx.store, ctx.config, ctx.get("provider"))
    return Raw({"cacertificates": {"certificate": pem}})


@api("issueCertificate", response="certificates",
     description="Issues a certificate for domains/addresses (with a new key) or for a CSR.",
     params=[P("csr", "a PEM certificate signing request"), P("domain", "comma-separated domain names"),
             P("ipaddress", "comma-separated addresses"), P("duration", "validity in days"),
             P("provider", "the CA provider")])
def issue_certificate(ctx):
    domains, addresses = _split(ctx.get("domain")), _split(ctx.get("ipaddress"))
    if not ctx.get("csr") and not domains:
        raise errors.invalid_value("Please provide the domains or the CSR, none of them are provided")
    ca.provider_name(ctx.config, ctx.get("provider"))

    def run(jctx):
        issued = ca.issue(jctx.store, jctx.config, csr=jctx.get("csr"), domains=domains, addresses=addresses,
                          validity_days=jctx.get("duration"), provider=jctx.get("provider"))
        jctx.event("CA.CERTIFICATE.ISSUE", f"issuing certificate: domain(s): {domains} addresses: {addresses}")
        return {k: v for k, v in issued.items() if v is not None}

    return Job(run)


@api("provisionCertificate", response="success",
     description="Issues and deploys a new certificate to a host's agent.",
     params=[P("hostid", "the host"), P("reconnect", "reconnect the agent afterwards"), P("provider", "the CA provider")])
def provision_certificate(ctx):
    host = ctx.store.get("host", ctx.get("hostid"))
    ca.provider_name(ctx.config, ctx.get("provider"))

    def run(jctx):
        current = jctx.store.get("host", host["id"])
        ca.provision_host(jctx.store, jctx.config, current, jctx.get("provider"))
        jctx.event("CA.CERTIFICATE.PROVISION", f"provisioning certificate for host id: {host['id']}")
        return SUCCESS

    return Job(run, instance_id=host["id"])


@api("revokeCertificate", response="success", description="Revokes a certificate by its serial (hex).",
     params=[P("serial", "the certificate serial, hexadecimal"), P("cn", "its common name"),
             P("provider", "the CA provider")])
def revoke_certificate(ctx):
    serial = ctx.get("serial")
    if not serial:
        raise errors.invalid_value("Certificate serial cannot be empty")
    try:
        int(serial, 16)
    except ValueError:
        raise errors.invalid_value(f"Certificate serial {serial} is not a hexadecimal number") from None

    def run(jctx):
        ca.revoke(jctx.store, jctx.config, serial, jctx.get("cn"), jctx.get("provider"))
        jctx.event("CA.CERTIFICATE.REVOKE", f"revoking certificate: cert serial: {serial}")
        return SUCCESS

    return Job(run)
