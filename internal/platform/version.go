package platform

import "runtime/debug"

// version is set at build time with
// -ldflags "-X github.com/opsward/opsward/internal/platform.version=v1.2.3".
var version = ""

// Version is the running binary's version: the one stamped at build time,
// else the module version, else the VCS revision, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
