"""``marvin2 apis sync|show NAME|search WORD``: the APIs a server offers.

``sync`` fetches listApis again and refreshes the on-disk cache; ``show`` and
``search`` read the spec of a server (cached) or of a listApis file
(``--spec``). Connection options are shared with ``marvin2 codegen``.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["register", "add_source_arguments", "connect_from_args", "spec_from_args"]

_ENV = {
    "endpoint": "MARVIN2_ENDPOINT",
    "api_key": "MARVIN2_API_KEY",
    "secret_key": "MARVIN2_SECRET_KEY",
    "username": "MARVIN2_USERNAME",
    "password": "MARVIN2_PASSWORD",
    "domain": "MARVIN2_DOMAIN",
}


def add_source_arguments(parser: argparse.ArgumentParser, *, allow_spec: bool = True) -> None:
    """Where the spec comes from: a listApis file, a config, or a server and its credentials."""
    group = parser.add_argument_group("source of the API list")
    if allow_spec:
        group.add_argument("--spec", metavar="FILE", help="a listApis JSON file (a capture or a cache file); no server needed")
    group.add_argument("--config", metavar="PATH", help="a marvin2 config file (its management servers, or the embedded simulator)")
    group.add_argument(
        "--endpoint", action="append", metavar="URL",
        help="management server API URL, e.g. http://host:8080/client/api (repeat for failover; env MARVIN2_ENDPOINT)",
    )
    group.add_argument("--api-key", help="API key (env MARVIN2_API_KEY)")
    group.add_argument("--secret-key", help="secret key (prefer env MARVIN2_SECRET_KEY: arguments show in process lists)")
    group.add_argument("--username", help="user name for a session login (env MARVIN2_USERNAME)")
    group.add_argument("--password", help="password (prefer env MARVIN2_PASSWORD)")
    group.add_argument("--domain", help="domain path of the user (default /; env MARVIN2_DOMAIN)")
    group.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify the server's certificate")
    group.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    group.add_argument("--cache-dir", metavar="DIR", help="spec cache directory (default $MARVIN2_CACHE_DIR or ~/.cache/marvin2)")


def _value(args: argparse.Namespace, name: str) -> Any:
    value = getattr(args, name, None)
    if value:
        return value
    env = os.environ.get(_ENV[name])
    if name == "endpoint" and env:
        return [u.strip() for u in env.split(",") if u.strip()]
    return env or None


def connect_from_args(args: argparse.Namespace, **options: Any):
    """An API object from the command line's source options."""
    import marvin2

    if getattr(args, "cache_dir", None):
        options["cache_dir"] = args.cache_dir
    if args.config:
        return marvin2.connect(config=args.config, **options)
    endpoints = _value(args, "endpoint")
    if not endpoints:
        raise SystemExit("no server given: use --spec FILE, --config PATH or --endpoint URL (or MARVIN2_ENDPOINT)")
    credentials = {name: _value(args, name) for name in ("api_key", "secret_key", "username", "password", "domain")}
    credentials = {k: v for k, v in credentials.items() if v}
    if getattr(args, "ca_bundle", None):
        options["ca_bundle"] = args.ca_bundle
    if getattr(args, "insecure", False):
        options["verify"] = False
    return marvin2.connect(endpoints if len(endpoints) > 1 else endpoints[0], **credentials, **options)


def spec_from_args(args: argparse.Namespace):
    """The spec from --spec, or from the server (cache first)."""
    from marvin2.client import Spec

    if getattr(args, "spec", None):
        return Spec.from_file(args.spec)
    api = connect_from_args(args)
    try:
        return api.spec
    finally:
        api.close()


def _describe_fields(fields, indent: str = "  ") -> list[str]:
    lines = []
    for f in fields:
        lines.append(f"{indent}{f.name} ({f.type}): {f.description}".rstrip())
        if f.fields:
            lines.extend(_describe_fields(f.fields, indent + "  "))
    return lines


def _sync(args: argparse.Namespace) -> int:
    from marvin2.client import SpecCache

    api = connect_from_args(args, refresh_spec=True)
    try:
        spec = api.spec
        path = SpecCache(getattr(args, "cache_dir", None)).path_for(api.endpoint, spec.version or "unknown", api.identity)
        where = str(path) if spec.version else "not cached: the server did not report its version"
        print(f"{len(spec)} APIs of CloudStack {spec.version or '?'} from {api.endpoint}")
        print(f"cache: {where}")
    finally:
        api.close()
    return 0


def _show(args: argparse.Namespace) -> int:
    from marvin2.client.api import describe

    spec = spec_from_args(args)
    api = spec.resolve(args.name)
    if api is None:
        hint = spec.suggest(args.name)
        print(f"unknown API {args.name!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""), file=sys.stderr)
        return 1
    print(describe(api).split("\n\nResponse fields:")[0])
    if api.related:
        print(f"\nRelated: {', '.join(api.related)}")
    if api.response:
        print("\nResponse fields:")
        print("\n".join(_describe_fields(api.response)))
    print(f"\nAlso callable as api.{api.snake_name}(...)" if api.snake_name != api.name else "")
    return 0


def _search(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    found = spec.search(args.word)
    if not found:
        print(f"no API matches {args.word!r}", file=sys.stderr)
        return 1
    needle = args.word.lower()
    by_name = [a for a in found if needle in a.name.lower() or needle in a.snake_name]
    by_text = [a for a in found if a not in by_name]
    width = max(len(a.name) for a in found)
    for group, title in ((by_name, None), (by_text, "mentioned in the description:")):
        if not group:
            continue
        if title and by_name:
            print(f"\n{title}")
        for api in group:
            first_line = (api.description or "").strip().split("\n")[0]
            print(f"{api.name:<{width}}  {'async' if api.isasync else 'sync ':5}  {first_line}".rstrip())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("apis", help="list, show and search the APIs of a CloudStack server")
    actions = parser.add_subparsers(dest="apis_action", metavar="ACTION")
    sync = actions.add_parser("sync", help="fetch listApis again and refresh the spec cache")
    add_source_arguments(sync, allow_spec=False)
    sync.set_defaults(func=_sync)
    show = actions.add_parser("show", help="parameters and response fields of one API")
    show.add_argument("name", help="API name (listZones or list_zones)")
    add_source_arguments(show)
    show.set_defaults(func=_show)
    search = actions.add_parser("search", help="APIs whose name or description contains WORD")
    search.add_argument("word")
    add_source_arguments(search)
    search.set_defaults(func=_search)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
