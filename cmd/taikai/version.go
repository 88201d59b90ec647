package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Stamped by .ci/build (-ldflags -X); a plain `go build` leaves them so and
// the build info fills them in if it can.
var (
	version  = "dev"
	revision = "unknown"
)

// versionLine is the binary's version: the stamped one, else the module's
// (`go install …@v1.2.3`), with the commit when known.
func versionLine() string {
	v, rev, goVersion, sdk := version, revision, runtime.Version(), ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		modified := false
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "unknown":
				rev = s.Value
			case s.Key == "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && rev != "unknown" {
			rev += "-dirty"
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/line/line-bot-sdk-go/v8" {
				sdk = ", line-bot-sdk-go " + d.Version
			}
		}
	}
	return fmt.Sprintf("taikai %s (revision %s, %s, %s/%s%s)", v, rev, goVersion, runtime.GOOS, runtime.GOARCH, sdk)
}

func printVersion(w io.Writer) error {
	_, err := fmt.Fprintln(w, versionLine())
	return err
}
