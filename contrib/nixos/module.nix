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

  patterns = types.either types.str (types.listOf types.str);
  ruleType = types.submodule {
    options = {
      name = mkOption {
        type = types.strMatching "[A-Za-z0-9_.:@+-]+";
        description = "The rule's name (its [section]).";
      };
      compatible = mkOption {
        type = patterns;
        default = [ ];
        description = "DT compatible strings (exact or glob) that select a device.";
      };
      path = mkOption {
        type = patterns;
        default = [ ];
        description = "DT node paths (OF_FULLNAME, exact or glob) that select a device.";
      };
      device = mkOption {
        type = patterns;
        default = [ ];
        description = "Device names (exact or glob), e.g. 32e10000.isp.";
      };
      action = mkOption {
        type = types.enum [
          "bind"
          "ignore"
        ];
        default = "bind";
        description = "bind: hand the device to driver; ignore: never move it.";
      };
      driver = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "vfio-amba";
        description = "The target driver (vfio-platform when null).";
      };
    };
  };

  policyFiles = lib.mapAttrs (name: rules: pkgs.writeText "${name}.conf" (renderPolicy rules)) cfg.policy;
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
      vfio-platform-bindd: the platform devices that the policy selects are bound to vfio-platform
      (or another target driver) from boot on and through hotplug; the early unit protects them
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
          "50-passthrough" = [ { name = "isp"; path = "/soc@0/isp@32e10000"; } ];
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
      default = [ "vfio-platform" ];
      description = ''
        Kernel modules loaded at boot: the target drivers (the daemon can load them too, but
        then needs to find the module tree at run time).
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
      wantedBy = [
        "multi-user.target"
        "vfio-platform-bind.target"
      ];
      # nixos-rebuild switch reloads the daemon (SIGHUP) when the policy changed.
      reloadTriggers = [ policyTree ];
    };
    systemd.services.vfio-platform-bind-early.wantedBy = [ "sysinit.target" ];
  };
}
