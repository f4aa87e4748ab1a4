#!/usr/bin/env python3
"""The package's bill of materials and its Debian copyright file, from what the binary is really built of.

  packaging/sbom.py --version V --arch A --checkouts DIR --depends "libc6 (>= 2.34), …" --swift-version S
                    --sbom OUT.cdx.json --copyright OUT-copyright

- Package.resolved (every Swift package the build resolved: identity, URL, version, revision) → CycloneDX 1.5
  components with a purl `pkg:swift/<host>/<owner>/<name>@<version>` (the purl spec's swift type), the licence read
  from the package's own LICENSE file in the checkouts (SPDX id when its text is one this script recognises; none
  otherwise, rather than a guess), and the source revision as an external reference.
- The Swift runtime linked statically into the binary (--static-swift-stdlib): the toolchain's version.
- The Debian packages the binary needs at run time (the Depends dpkg-shlibdeps computed) → `pkg:deb/debian/…` with the
  version installed on the build machine (the one the binary was linked against).
The copyright file (Debian's machine-readable format 1.0) names ChargeKit and every statically linked package with its
licence; Apache-2.0 points to /usr/share/common-licenses as Debian policy 12.5 asks, other licences carry their text.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def licence_of(text):
    """The SPDX id of a licence text this script recognises, else None."""
    t = " ".join(text.split())
    if "Apache License" in t and "Version 2.0" in t:
        return "Apache-2.0"
    if "Permission is hereby granted, free of charge" in t:
        return "MIT"
    if "Redistribution and use in source and binary forms" in t:
        return "BSD-3-Clause" if "Neither the name" in t else "BSD-2-Clause"
    return None


def licence_file(checkouts, name):
    d = os.path.join(checkouts, name)
    if not os.path.isdir(d):
        return None
    for f in sorted(os.listdir(d)):
        if re.match(r"(?i)^(licen[cs]e|copying)(\.(txt|md))?$", f):
            return os.path.join(d, f)
    return None


def purl(location, version):
    m = re.match(r"https?://([^/]+)/([^/]+)/([^/]+?)(\.git)?/?$", location)
    if not m:
        return None
    return f"pkg:swift/{m.group(1)}/{m.group(2)}/{m.group(3)}@{version}"


def debian_components(depends, arch):
    out = []
    for clause in depends.split(","):
        name = clause.strip().split()[0] if clause.strip() else ""
        if not name:
            continue
        installed = subprocess.run(["dpkg-query", "-W", "-f=${Version}", f"{name}:{arch}"], capture_output=True, text=True)
        if installed.returncode != 0:
            installed = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
        version = installed.stdout.strip() if installed.returncode == 0 else None
        c = {"type": "library", "bom-ref": f"deb:{name}", "name": name, "scope": "required",
             "description": f"Debian run-time dependency ({clause.strip()})"}
        if version:
            c["version"] = version
            c["purl"] = f"pkg:deb/debian/{name}@{version}?arch={arch}&distro=debian-12"
        out.append(c)
    return out


def main():
    a = argparse.ArgumentParser()
    for opt in ("--version", "--arch", "--checkouts", "--depends", "--swift-version", "--sbom", "--copyright"):
        a.add_argument(opt, required=True)
    args = a.parse_args()

    resolved_path = os.path.join(ROOT, "Package.resolved")
    if not os.path.exists(resolved_path):
        sys.exit("sbom: Package.resolved is missing: `swift build` (or `swift package resolve`) writes it")
    resolved = json.load(open(resolved_path))
    swift_components, copyright_paragraphs, unknown = [], [], []
    for pin in sorted(resolved["pins"], key=lambda p: p["identity"]):
        state, location = pin["state"], pin["location"]
        version = state.get("version") or state.get("revision")
        name = location.rstrip("/").split("/")[-1].removesuffix(".git")
        c = {"type": "library", "bom-ref": f"swift:{pin['identity']}", "name": name, "version": version, "scope": "required",
             "externalReferences": [{"type": "vcs", "url": location, "comment": f"revision {state.get('revision', '?')}"}]}
        p = purl(location, version)
        if p:
            c["purl"] = p
        lf = licence_file(args.checkouts, name)
        spdx = licence_of(open(lf, encoding="utf-8", errors="replace").read()) if lf else None
        if spdx:
            c["licenses"] = [{"license": {"id": spdx}}]
        else:
            unknown.append(name)
        swift_components.append(c)
        copyright_paragraphs.append((name, location, spdx, lf))

    swift_runtime = {"type": "framework", "bom-ref": "swift:runtime", "name": "swift-runtime", "version": args.swift_version,
                     "scope": "required", "licenses": [{"license": {"id": "Apache-2.0"}}],
                     "description": "Swift standard library, Foundation and Dispatch, linked statically (--static-swift-stdlib)",
                     "externalReferences": [{"type": "website", "url": "https://www.swift.org"}]}
    debian = debian_components(args.depends, args.arch)

    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if os.environ.get("SOURCE_DATE_EPOCH"):
        now = datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), timezone.utc).isoformat().replace("+00:00", "Z")
    components = swift_components + [swift_runtime] + debian
    seed = hashlib.sha256(json.dumps([args.version, args.arch, components], sort_keys=True).encode()).digest()
    bom = {
        "bomFormat": "CycloneDX", "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.UUID(bytes=seed[:16], version=5)}", "version": 1,
        "metadata": {
            "timestamp": now,
            "tools": {"components": [{"type": "application", "name": "packaging/sbom.py", "description": "ChargeKit's SBOM writer"}]},
            "component": {"type": "application", "bom-ref": "chargekit", "name": "chargekit", "version": args.version,
                          "purl": f"pkg:deb/chargekit@{args.version}?arch={args.arch}",
                          "description": "ChargeKit charge point controller, Debian package"},
        },
        "components": components,
        "dependencies": [{"ref": "chargekit", "dependsOn": [c["bom-ref"] for c in components]}]
                        + [{"ref": c["bom-ref"], "dependsOn": []} for c in components],
    }
    with open(args.sbom, "w") as f:
        json.dump(bom, f, indent=1, sort_keys=False)
        f.write("\n")

    lines = ["Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
             "Upstream-Name: chargekit", "Comment: The binary /usr/bin/chargekit links the Swift packages below and the Swift",
             " runtime statically. Every component with its version, package URL and licence is listed in",
             " /usr/share/doc/chargekit/sbom.cdx.json (CycloneDX 1.5).", "",
             "Files: *", "Copyright: ChargeKit developers", "License: LicenseRef-ChargeKit", "",
             "Files: swift-runtime/*", "Copyright: Apple Inc. and the Swift project authors",
             "License: Apache-2.0", "Comment: Swift standard library, Foundation and Dispatch " + args.swift_version, ""]
    texts = {}
    for name, location, spdx, lf in copyright_paragraphs:
        lines += [f"Files: swift-packages/{name}/*", f"Copyright: the authors of {name} ({location})",
                  f"License: {spdx or 'LicenseRef-' + name}", ""]
        key = spdx or "LicenseRef-" + name
        if key != "Apache-2.0" and key not in texts and lf:
            texts[key] = open(lf, encoding="utf-8", errors="replace").read()
    lines += ["License: LicenseRef-ChargeKit",
              " The authors of ChargeKit have not published a licence for it; all rights are reserved.", "",
              "License: Apache-2.0", " On Debian systems the full text of the Apache License 2.0 is in",
              " /usr/share/common-licenses/Apache-2.0.", ""]
    for key, text in sorted(texts.items()):
        body = [(" " + l.rstrip()) if l.strip() else " ." for l in text.strip().splitlines()]
        lines += [f"License: {key}"] + body + [""]
    with open(args.copyright, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    if unknown:
        print(f"sbom: no recognised licence text for {', '.join(unknown)} (listed without a licence)", file=sys.stderr)


if __name__ == "__main__":
    main()
