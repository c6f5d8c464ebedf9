# SPDX-License-Identifier: LGPL-2.1-or-later
# NixOS module: services.vfio-platform-bindd. Import it (imports = [ ./module.nix ];) and see
# example.nix. The policy is written to /etc/vfio-platform-bind.d/ and checked with
# "vfio-platform-bindctl check" when the system is built, so a broken policy fails the build,
# not the boot.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.vfio-platform-bindd;
  inherit (lib) mkOption types;
  renderPolicy = import ./policy.nix;

  # The keys of vfio-platform-bind.d(5) (compatible, path, device, bus, pci-id, class, group,
  # action, driver, ...): "vfio-platform-bindctl check" validates them when the system is built.
  ruleType = types.submodule {
    freeformType = types.attrsOf (types.nullOr (types.either types.str (types.listOf types.str)));
    options.name = mkOption {
      type = types.strMatching "[A-Za-z0-9_.:@+-]+";
      description = "The rule's name (its [section]).";
    };
  };

  policyFiles = lib.mapAttrs (name: rules: pkgs.writeText "${name}.conf" (renderPolicy rules)) cfg.policy;
  moduleDir = "/run/booted-system/kernel-modules/lib/modules";
  canRunPackage = pkgs.stdenv.buildPlatform.canExecute pkgs.stdenv.hostPlatform;
  policyTree = pkgs.runCommand "vfio-platform-bind.d" { } (
    ''
      mkdir -p $out/etc/vfio-platform-bind.d
    ''
    + lib.concatStrings (
      lib.mapAttrsToList (n: f: ''
        cp ${f} $out/etc/vfio-platform-bind.d/${n}.conf
      '') policyFiles
    )
    + lib.optionalString canRunPackage ''
      ${cfg.package}/bin/vfio-platform-bindctl --root=$out check
    ''
  );
in
{
  options.services.vfio-platform-bindd = {
    enable = lib.mkEnableOption ''
      vfio-platform-bindd: the devices that the policy selects are bound to their VFIO driver (or
      another target driver) from boot on and through hotplug; the early unit protects them
      before udev's coldplug'';

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The vfio-platform-bindd package.";
    };

    policy = mkOption {
      type = types.attrsOf (types.listOf ruleType);
      default = { };
      example = lib.literalExpression ''
        {
          "10-protect" = [ { name = "console"; compatible = "arm,pl011"; action = "ignore"; } ];
          "50-passthrough" = [
            { name = "isp"; path = "/soc@0/isp@32e10000"; }
            { name = "second-gpu"; device = "0000:02:00.0"; group = "whole"; }
          ];
        }
      '';
      description = ''
        Policy files, vfio-platform-bind.d(5): each attribute becomes
        /etc/vfio-platform-bind.d/NAME.conf holding its rules in the order given (the first rule
        that matches a device decides; files are read in the order of their names).
      '';
    };

    modules = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "vfio-platform" "vfio-pci" ];
      description = ''
        Kernel modules to load at boot (boot.kernelModules). Not needed: the programs load the
        target driver's module themselves (libkmod, with NixOS's MODULE_DIR).
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];
    systemd.packages = [ cfg.package ];
    boot.kernelModules = cfg.modules;

    environment.etc = lib.mapAttrs' (
      n: _:
      lib.nameValuePair "vfio-platform-bind.d/${n}.conf" {
        source = "${policyTree}/etc/vfio-platform-bind.d/${n}.conf";
      }
    ) cfg.policy;

    # NixOS ignores [Install] sections: what "systemctl enable vfio-platform-bindd" does (its
    # Also= included) is spelled out here.
    systemd.services.vfio-platform-bindd = {
      # NixOS's kmod finds the module tree through MODULE_DIR, which services do not inherit.
      environment.MODULE_DIR = moduleDir;
      wantedBy = [
        "multi-user.target"
        "vfio-platform-bind.target"
      ];
      # nixos-rebuild switch reloads the daemon (SIGHUP) when the policy changed.
      reloadTriggers = [ policyTree ];
    };
    systemd.services.vfio-platform-bind-early = {
      environment.MODULE_DIR = moduleDir;
      wantedBy = [ "sysinit.target" ];
    };
  };
}
