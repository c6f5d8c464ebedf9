# SPDX-License-Identifier: LGPL-2.1-or-later
# Renders one policy file (vfio-platform-bind.d(5)) from a list of rules, in their order: the
# first rule that matches a device decides, so the rules are a list, not an attribute set
# (which Nix would sort by name). Builtins only, so that it can be evaluated without nixpkgs:
#   nix-instantiate --eval --strict -E 'import ./policy.nix [ { name = "x"; device = "a.b"; } ]'
# A rule: { name; compatible ? [ ]; path ? [ ]; device ? [ ]; action ? "bind"; driver ? null; }
# where compatible, path and device are a string or a list of strings (patterns).
rules:
let
  toList = v: if builtins.isList v then v else [ v ];
  keys = [ "compatible" "path" "device" ];
  line = key: value: "${key} = ${value}\n";
  rule =
    r:
    "[${r.name}]\n"
    + builtins.concatStringsSep "" (
      builtins.concatMap (k: map (line k) (toList (r.${k} or [ ]))) keys
    )
    + line "action" (r.action or "bind")
    + (if (r.driver or null) == null then "" else line "driver" r.driver);
in
builtins.concatStringsSep "\n" (map rule rules)
