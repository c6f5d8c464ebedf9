# SPDX-License-Identifier: LGPL-2.1-or-later
# Renders one policy file (vfio-platform-bind.d(5)) from a list of rules, in their order: the
# first rule that matches a device decides, so the rules are a list, not an attribute set
# (which Nix would sort by name). Builtins only, so that it can be evaluated without nixpkgs:
#   nix-instantiate --eval --strict -E 'import ./policy.nix [ { name = "x"; device = "a.b"; } ]'
# A rule is { name = "SECTION"; KEY = VALUE; ... } with the keys of vfio-platform-bind.d(5)
# (compatible, path, device, bus, pci-id, class, group, action, driver, ...): a string, or a
# list of strings for a key given several times; null leaves the key out.
rules:
let
  toList = v: if v == null then [ ] else if builtins.isList v then v else [ v ];
  rule =
    r:
    "[${r.name}]\n"
    + builtins.concatStringsSep "" (
      builtins.concatMap (k: map (v: "${k} = ${v}\n") (toList r.${k})) (
        builtins.filter (k: k != "name") (builtins.attrNames r)
      )
    );
in
builtins.concatStringsSep "\n" (map rule rules)
