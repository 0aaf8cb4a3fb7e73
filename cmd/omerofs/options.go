package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/omerofs/omerofs/fs"
	"github.com/omerofs/omerofs/gateway"
)

// Every setting of omerofs is declared once, in the tables below: its
// name, default and help. From that one declaration come the long flag
// (--metadata-ttl 5m), the config-file key (metadata-ttl = 5m, see
// config.go) and the mount option of the fstab form (-o metadata_ttl=5m,
// see fstab.go). Defaults that the library packages also apply to zero
// values are their exported constants, so each is written once.

// option is one setting.
type option struct {
	name string
	// ptr is where the value goes: *time.Duration, *int, *bool, *string
	// or *byteSize, which also picks the flag's type.
	ptr  any
	def  any // the default, of ptr's element type
	help string
	// env names the environment variable that overrides the config file's
	// value (the flag still wins).
	env string
	// secret options are refused as mount options: those show in
	// /proc/mounts.
	secret bool
}

// defaultCacheSize is --cache-size's default.
const defaultCacheSize = 512 << 20

// mountOptions are the settings of every command that mounts (mount, demo).
func mountOptions(p *mountParams) []option {
	return []option{
		{name: "cache-size", ptr: &p.cacheSize, def: byteSize(defaultCacheSize), help: "bytes of rendered images kept in memory, e.g. 512MiB or 2GiB"},
		{name: "metadata-ttl", ptr: &p.metadataTTL, def: fs.DefaultMetadataTTL, help: "how long a folder listing is trusted before it is fetched again"},
		{name: "timeout", ptr: &p.timeout, def: gateway.DefaultTimeout, help: "timeout of one request to the server"},
		{name: "max-requests", ptr: &p.maxRequests, def: gateway.DefaultMaxRequests, help: "most requests in flight to the server at once; OMERO.web serves 5 at a time by default (5 gunicorn sync workers), so 4 leaves one for everyone else"},
		{name: "max-render-size", ptr: &p.maxRenderSize, def: fs.DefaultMaxRenderSize, help: "longest side of a rendered PNG; bigger images are scaled down to it"},
		{name: "allow-other", ptr: &p.allowOther, def: false, help: "let other users see the mount (needs user_allow_other in /etc/fuse.conf)"},
		{name: "fuse-debug", ptr: &p.fuseDebug, def: false, help: "log every FUSE operation (very verbose)"},
		{name: "thumbnails", ptr: &p.thumbnails, def: false, help: "write OMERO's thumbnails of listed folders into the freedesktop thumbnail cache, so file managers need no full renders"},
		{name: "render", ptr: &p.render, def: fs.RenderAuto, help: "where image PNGs are rendered: auto (here, losslessly from the raw pixels, where a raw route reads them plane by plane), server (the server's JPEG) or local (here wherever any raw route reaches the image)"},
		{name: "metrics-addr", ptr: &p.metricsAddr, def: "", help: "serve Prometheus metrics at http://ADDR/metrics (and the heap profile at /debug/pprof/heap), e.g. 127.0.0.1:9464"},
		{name: "cache-dir", ptr: &p.cacheDir, def: "", help: "directory of the disk cache, which many mounts may share (default $XDG_CACHE_HOME/omerofs, else ~/.cache/omerofs)"},
		{name: "disk-cache-size", ptr: &p.diskCacheSize, def: byteSize(defaultDiskCacheSize), help: "bytes the disk cache may hold (rendered images, raw planes, original files), e.g. 10GiB; 0 turns it off"},
		{name: "read-ahead", ptr: &p.readAhead, def: defaultReadAhead, help: "files rendered ahead while a folder's files are read in order; 0 turns it off"},
		{name: "max-listings", ptr: &p.maxListings, def: fs.DefaultMaxListings, help: "folder listings held in memory, least recently used out first"},
		{name: "max-listed-objects", ptr: &p.maxListedObjects, def: fs.DefaultMaxListedObjects, help: "objects of all the folder listings held in memory (about 400 bytes each), least recently used folders out first"},
	}
}

// defaultDiskCacheSize is --disk-cache-size's default.
const defaultDiskCacheSize = 10 << 30

// defaultReadAhead is --read-ahead's default (fs.Options reads nothing
// ahead unless told).
const defaultReadAhead = 4

// serverOptions are the settings of `omerofs mount` alone: which server,
// as whom.
func serverOptions(p *mountParams) []option {
	return []option{
		{name: "user", ptr: &p.user, def: "", env: "OMERO_USER", help: "OMERO user name (default $OMERO_USER)"},
		{name: "password-file", ptr: &p.passwordFile, def: "", help: "read the password from this file (default $OMERO_PASSWORD, else a prompt)"},
		{name: "session-key", ptr: &p.sessionKey, def: "", env: "OMERO_SESSION_KEY", secret: true, help: "join this existing OMERO session (default $OMERO_SESSION_KEY)"},
		{name: "server", ptr: &p.serverID, def: gateway.DefaultServerID, help: "id of the OMERO server among those OMERO.web offers (see its /api/v0/servers/); sent with --session-key, which an OMERO.web with several servers needs"},
		{name: "group", ptr: &p.group, def: "", help: "show only this group's data (name or id; default: all your groups)"},
		{name: "insecure", ptr: &p.insecure, def: false, help: "do not verify the server's TLS certificate (unsafe)"},
	}
}

// globalOptions are the settings every command shares.
func globalOptions(lo *logOptions) []option {
	return []option{
		{name: "log-level", ptr: &lo.level, def: "info", help: "log level: error, warn, info or debug (debug shows each request)"},
		{name: "log-format", ptr: &lo.format, def: "text", help: "log format: text or json"},
		{name: "config", ptr: &lo.config, def: "", help: "config file (default ~/.config/omerofs/config)"},
	}
}

// allOptions are every declared setting, bound to throw-away values: what
// the config file and the fstab form look names up in.
func allOptions() []option {
	p := &mountParams{}
	return append(append(globalOptions(&logOptions{}), mountOptions(p)...), serverOptions(p)...)
}

// lookupOption finds a declared setting by name.
func lookupOption(name string) (option, bool) {
	for _, o := range allOptions() {
		if o.name == name {
			return o, true
		}
	}
	return option{}, false
}

// isBool reports whether the option is a switch (a flag without a value).
func (o option) isBool() bool {
	_, ok := o.ptr.(*bool)
	return ok
}

// addOptions declares opts as flags of f.
func addOptions(f *pflag.FlagSet, opts []option) {
	for _, o := range opts {
		switch p := o.ptr.(type) {
		case *time.Duration:
			f.DurationVar(p, o.name, o.def.(time.Duration), o.help)
		case *int:
			f.IntVar(p, o.name, o.def.(int), o.help)
		case *bool:
			f.BoolVar(p, o.name, o.def.(bool), o.help)
		case *string:
			f.StringVar(p, o.name, o.def.(string), o.help)
		case *byteSize:
			*p = o.def.(byteSize)
			f.Var(p, o.name, o.help)
		default:
			// A mistake in the tables above, caught by any test that
			// builds the commands.
			panic(fmt.Sprintf("option %s: no flag type for %T", o.name, o.ptr))
		}
	}
}
