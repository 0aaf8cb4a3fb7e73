package testserver

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Original files as OMERO.web serves them (docs/omero-web.md, "Original
// files"): webgateway's original_file_paths and archived_files, webclient's
// download_placeholder, download_original_file and get_original_file.

// Fileset is what one import brought in; every image of the import shares
// it (a multi-series file, a whole plate).
type Fileset struct {
	ID          int64
	Files       []int64  // OriginalFile ids, in import order
	ClientPaths []string // each file's path on the importing machine (FilesetEntry.clientPath)
}

// OriginalFile is a file OMERO stores: a fileset's file or an attachment's.
type OriginalFile struct {
	ID       int64
	Name     string
	Path     string // folder in the managed repository, ending in "/"
	Size     int64
	Mimetype string
	GroupID  int64
	Content  []byte // nil: synthetic bytes made from the id (see FileBytes)
}

// chunkSize is omero.web.chunk_size: how much each piece of a download is.
const chunkSize = 1 << 20

// defaultMaxZip is omero.web.maximum_multifile_download_size.
const defaultMaxZip = 1 << 30

// FileBytes returns the content of an original file (nil if unknown).
func (d *Data) FileBytes(id int64) []byte {
	d.mu.RLock()
	f := d.Files[id]
	d.mu.RUnlock()
	if f == nil {
		return nil
	}
	return fileContent(f)
}

func fileContent(f *OriginalFile) []byte {
	if f.Content != nil {
		return f.Content
	}
	// xorshift from the id: cheap, deterministic, not compressible.
	b := make([]byte, f.Size)
	x := uint64(f.ID)*0x9E3779B97F4A7C15 | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 24)
	}
	return b
}

// FilesOf returns the original files of an image's fileset, in import order.
func (d *Data) FilesOf(imageID int64) []OriginalFile {
	d.mu.RLock()
	defer d.mu.RUnlock()
	im := d.Images[imageID]
	if im == nil || d.Filesets[im.FilesetID] == nil {
		return nil
	}
	var out []OriginalFile
	for _, id := range d.Filesets[im.FilesetID].Files {
		out = append(out, *d.Files[id])
	}
	return out
}

// policy is the set of what omero.policy.binary_access allows. The value
// is read as OMERO documents it: "-x" takes x away from the default
// (read, write, image); a list of "+x" only is exactly what it allows.
func policy(value string) map[string]bool {
	allow := map[string]bool{"read": true, "write": true, "image": true}
	plusOnly := value != ""
	for _, tok := range strings.Split(value, ",") {
		if strings.HasPrefix(strings.TrimSpace(tok), "-") {
			plusOnly = false
		}
	}
	if plusOnly {
		allow = map[string]bool{}
	}
	for _, tok := range strings.Split(value, ",") {
		tok = strings.TrimSpace(tok)
		switch {
		case strings.HasPrefix(tok, "+"):
			allow[tok[1:]] = true
		case strings.HasPrefix(tok, "-"):
			delete(allow, tok[1:])
		}
	}
	return allow
}

// canDownload reports whether the group's policy lets a file's bytes be
// read: a plate's files need "plate", other fileset files "image", every
// file "read". The caller holds d.mu.
func (d *Data) canDownload(f *OriginalFile) bool {
	g := d.Groups[f.GroupID]
	if g == nil {
		return false
	}
	allow := policy(g.BinaryAccess)
	if !allow["read"] {
		return false
	}
	for _, fs := range d.Filesets {
		for _, id := range fs.Files {
			if id != f.ID {
				continue
			}
			for _, im := range d.Images {
				if im.FilesetID == fs.ID {
					if im.WellID != 0 {
						return allow["plate"]
					}
					return allow["image"]
				}
			}
		}
	}
	return true
}

// imageCanDownload is the image (or its well) check archived_files makes.
// The caller holds d.mu.
func (d *Data) imageCanDownload(im *Image) bool {
	g := d.Groups[im.GroupID]
	if g == nil {
		return false
	}
	allow := policy(g.BinaryAccess)
	if im.WellID != 0 {
		return allow["read"] && allow["plate"]
	}
	return allow["read"] && allow["image"]
}

var dataRoutes = []struct {
	re   *regexp.Regexp
	kind string
}{
	{re(`^/webgateway/original_file_paths/(\d+)/$`), "original_file_paths"},
	{re(`^/webgateway/archived_files/download/(?:(\d+)/)?$`), "archived_files"},
	{re(`^/webclient/download_placeholder/$`), "download_placeholder"},
	{re(`^/webclient/download_original_file/(?:(\d+)/)?$`), "download_original_file"},
	{re(`^/webclient/get_original_file/(?:(\d+)/)?$`), "get_original_file"},
	{re(`^/webclient/annotation/(\d+)/$`), "download_annotation"},
	{re(`^/webclient/api/annotations/$`), "api_annotations"},
}

// routeData finds the handler of an originals or annotations route; nil
// when the path is none of them.
func (s *Server) routeData(r *http.Request) (string, http.HandlerFunc) {
	for _, rt := range dataRoutes {
		m := rt.re.FindStringSubmatch(r.URL.Path)
		if m == nil {
			continue
		}
		arg := ""
		if len(m) > 1 {
			arg = m[1]
		}
		kind := rt.kind
		return kind, func(w http.ResponseWriter, r *http.Request) {
			user, ok := s.gatewayUser(w, r)
			if !ok {
				return
			}
			switch kind {
			case "original_file_paths":
				s.handleOriginalFilePaths(w, r, user, arg)
			case "archived_files":
				s.handleArchivedFiles(w, r, user, arg)
			case "download_placeholder":
				s.handleDownloadPlaceholder(w, r, user)
			case "download_original_file":
				s.handleOriginalFile(w, r, user, arg, true)
			case "get_original_file":
				s.handleOriginalFile(w, r, user, arg, false)
			case "download_annotation":
				s.handleDownloadAnnotation(w, r, user, arg)
			case "api_annotations":
				s.handleAPIAnnotations(w, r, user)
			}
		}
	}
	return "", nil
}

// imageFor returns the image if user may see it. The caller holds d.mu.
func (s *Server) imageFor(user *Experimenter, idText string) *Image {
	id, err := strconv.ParseInt(idText, 10, 64)
	im := s.data.Images[id]
	if err != nil || im == nil || !s.visible(user, im.Owned, nil) {
		return nil
	}
	return im
}

// handleOriginalFilePaths is original_file_paths: under @jsonp, so a
// missing image (Http404, whose message is empty) is a 500 JSON.
func (s *Server) handleOriginalFilePaths(w http.ResponseWriter, r *http.Request, user *Experimenter, idText string) {
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	im := s.imageFor(user, idText)
	if im == nil {
		writeJSON(w, http.StatusInternalServerError, obj{"message": "",
			"stacktrace": "Traceback (most recent call last):\n  File \"omeroweb/webgateway/views.py\", in wrap\ndjango.http.response.Http404\n"})
		return
	}
	fs := s.data.Filesets[im.FilesetID]
	if fs == nil {
		writeJSON(w, http.StatusOK, obj{})
		return
	}
	repo, client := []string{}, []string{}
	for i, id := range fs.Files {
		f := s.data.Files[id]
		repo = append(repo, f.Path+f.Name)
		client = append(client, fs.ClientPaths[i])
	}
	writeJSON(w, http.StatusOK, obj{"repo": repo, "client": client, "fileset": obj{"id": fs.ID}})
}

// handleOriginalFile is get_original_file (download: the
// download_original_file route): one file in 1 MiB pieces. A missing file
// is handlerInternalError: a 404 page.
func (s *Server) handleOriginalFile(w http.ResponseWriter, r *http.Request, user *Experimenter, idText string, download bool) {
	s.data.mu.RLock()
	id, _ := strconv.ParseInt(idText, 10, 64)
	f := s.data.Files[id]
	if f != nil && !memberOf(user, f.GroupID) {
		f = nil
	}
	var fc OriginalFile
	allowed := false
	if f != nil {
		fc, allowed = *f, s.data.canDownload(f)
	}
	s.data.mu.RUnlock()
	if f == nil {
		notFoundPage(w, r, fmt.Sprintf("Original File does not exist (id:%s).", idText))
		return
	}
	mime := fc.Mimetype
	if mime == "text/x-python" {
		mime = "text/plain"
	}
	w.Header().Set("Content-Type", mime)
	if download {
		w.Header().Set("Content-Disposition", djangoHeader("attachment; filename="+
			strings.ReplaceAll(strings.ReplaceAll(fc.Name, " ", "_"), ",", ".")))
	}
	stream(w, &fc, allowed)
}

// stream sends a file as a StreamingHttpResponse under gunicorn: headers
// with Content-Length go out with the first piece. A download the policy
// refuses fails on reading that first piece, before any header is sent,
// so gunicorn answers its own 500 page and closes the connection.
func stream(w http.ResponseWriter, f *OriginalFile, allowed bool) {
	if !allowed {
		h := w.Header()
		for k := range h {
			delete(h, k)
		}
		h.Set("Content-Type", "text/html")
		h.Set("Connection", "close")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n    <h1><p>Internal Server Error</p></h1>\n    \n  </body>\n</html>\n"))
		return
	}
	b := fileContent(f)
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	w.WriteHeader(http.StatusOK)
	for off := 0; off < len(b); off += chunkSize {
		if _, err := w.Write(b[off:min(off+chunkSize, len(b))]); err != nil {
			return // the client went away: the generator stops there
		}
	}
}

// djangoHeader is how Django sends a header value (every download's
// Content-Disposition): latin-1 bytes, or, for text latin-1 cannot hold,
// one MIME encoded-word of its UTF-8 (Header(..., maxlinelen=sys.maxsize)).
func djangoHeader(v string) string {
	var latin []byte
	for _, r := range v {
		if r > 0xff {
			return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
		}
		latin = append(latin, byte(r))
	}
	return string(latin)
}

// notFoundPage is handlerInternalError: a plain 404 for XHR, else an HTML
// page with the message.
func notFoundPage(w http.ResponseWriter, r *http.Request, msg string) {
	if r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(msg))
		return
	}
	notFoundText(w, "<!DOCTYPE html>\n<html><head><title>OMERO.web - Error</title></head><body><h1>Not Found</h1><p>"+html.EscapeString(msg)+"</p></body></html>\n")
}

func memberOf(user *Experimenter, group int64) bool {
	for _, g := range user.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// serverErrorText is a 500 whose body is the view's own message.
func serverErrorText(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte(msg))
}

// handleArchivedFiles is archived_files: one file streamed; several files
// zipped whole before the first byte (refused with 403 above the limit).
// It checks the download policy before streaming, but only for images in
// no dataset and for a plate's images (404): an image in a dataset is not
// checked, and a refusal then comes on the first piece.
func (s *Server) handleArchivedFiles(w http.ResponseWriter, r *http.Request, user *Experimenter, idText string) {
	ids := r.URL.Query()["image"]
	if idText != "" {
		ids = []string{idText}
	}
	if len(ids) == 0 && len(r.URL.Query()["well"]) == 0 {
		serverErrorText(w, "No images or wells specified in request. Use ?image=123 or ?well=123")
		return
	}
	s.data.mu.RLock()
	var images []*Image
	for _, id := range ids {
		if im := s.imageFor(user, id); im != nil {
			images = append(images, im)
		}
	}
	if len(images) == 0 {
		s.data.mu.RUnlock()
		quoted := make([]string, len(ids))
		for i, id := range ids {
			quoted[i] = "'" + id + "'"
		}
		serverErrorText(w, "Cannot download archived file because Images not found (ids: ["+strings.Join(quoted, ", ")+"])")
		return
	}
	inDataset := linked(s.data.Datasets, datasetImages)
	for _, im := range images {
		if (im.WellID != 0 || !inDataset[im.ID]) && !s.data.imageCanDownload(im) {
			s.data.mu.RUnlock()
			w.WriteHeader(http.StatusNotFound)
			return
		}
	}
	var files []*OriginalFile
	seen := map[int64]bool{}
	for _, im := range images {
		if fs := s.data.Filesets[im.FilesetID]; fs != nil {
			for _, id := range fs.Files {
				if !seen[id] {
					seen[id] = true
					files = append(files, s.data.Files[id])
				}
			}
		}
	}
	zipName := deref(images[len(images)-1].Name)
	allowed := make([]bool, len(files))
	for i, f := range files {
		allowed[i] = s.data.canDownload(f)
	}
	s.data.mu.RUnlock()
	if len(files) == 0 {
		serverErrorText(w, "Tried downloading archived files from image with no files archived.")
		return
	}
	if len(files) == 1 {
		w.Header().Set("Content-Disposition", djangoHeader("attachment; filename="+
			strings.ReplaceAll(strings.ReplaceAll(files[0].Name, " ", "_"), ",", ".")))
		w.Header().Set("Content-Type", "application/force-download")
		stream(w, files[0], allowed[0])
		return
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	limit := s.opts.MaxZipSize
	if limit <= 0 {
		limit = defaultMaxZip
	}
	if total > limit {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "Total size of files %d is larger than %d. Try requesting fewer files.", total, limit)
		return
	}
	if q := r.URL.Query().Get("zipname"); q != "" {
		zipName = q
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, f := range files {
		if !allowed[i] {
			serverErrorText(w, fmt.Sprintf("Cannot download file (id:%s)", idText))
			return
		}
		fw, err := zw.Create(f.Path + f.Name)
		if err == nil {
			_, err = fw.Write(fileContent(f))
		}
		if err != nil {
			serverErrorText(w, fmt.Sprintf("Cannot download file (id:%s)", idText))
			return
		}
	}
	zw.Close()
	if !strings.HasSuffix(zipName, ".zip") {
		zipName += ".zip"
	}
	w.Header().Set("Content-Type", "application/force-download")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Content-Disposition", djangoHeader("attachment; filename="+zipName))
	w.Write(buf.Bytes())
}

// filesizeformat is Django's filter: 1024-based units, one decimal, and a
// no-break space (avoid_wrapping) between number and unit.
func filesizeformat(n int64) string {
	const nbsp = "\u00a0"
	if n == 1 {
		return "1" + nbsp + "byte"
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + nbsp + "bytes"
	}
	v := float64(n)
	for _, unit := range []string{"KB", "MB", "GB", "TB", "PB"} {
		v /= 1024
		if v < 1024 || unit == "PB" {
			return strconv.FormatFloat(v, 'f', 1, 64) + nbsp + unit
		}
	}
	return ""
}

// handleDownloadPlaceholder is download_placeholder: an HTML page that
// links each file of the images' filesets by id, with its name and a human
// size (no path, no exact size).
func (s *Server) handleDownloadPlaceholder(w http.ResponseWriter, r *http.Request, user *Experimenter) {
	target := r.URL.Query().Get("ids")
	if _, ok := r.URL.Query()["ids"]; !ok {
		notFoundText(w, "No IDs specified. E.g. ?ids=image-1|image-2")
		return
	}
	s.data.mu.RLock()
	var images []*Image
	for _, id := range strings.Split(target, "|") {
		kind, num, _ := strings.Cut(id, "-")
		if kind != "image" {
			continue
		}
		if im := s.imageFor(user, num); im != nil {
			images = append(images, im)
		}
	}
	if len(images) == 0 {
		s.data.mu.RUnlock()
		notFoundText(w, "No images found.")
		return
	}
	var lists [][]OriginalFile
	seenFS, seenFile := map[int64]bool{}, map[int64]bool{}
	var total int64
	count := 0
	for _, im := range images {
		fs := s.data.Filesets[im.FilesetID]
		if fs == nil || seenFS[fs.ID] {
			continue
		}
		seenFS[fs.ID] = true
		var list []OriginalFile
		for _, id := range fs.Files {
			if seenFile[id] {
				continue
			}
			seenFile[id] = true
			f := *s.data.Files[id]
			list = append(list, f)
			total += f.Size
		}
		if len(list) > 0 {
			lists = append(lists, list)
			count += len(list)
		}
	}
	s.data.mu.RUnlock()
	limit := s.opts.MaxZipSize
	if limit <= 0 {
		limit = defaultMaxZip
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<title>\nDownload files\n</title>\n</head>\n<body>\n<div class=\"center\">\n<h1 style=\"font-size: 24px;\">\n")
	if len(lists) > 0 {
		fmt.Fprintf(&b, " Download Original Files\n</h1>\n<form id=\"downloadForm\">\n<h2>\n        You have chosen to download %d files.\n</h2>\n", count)
	} else {
		fmt.Fprintf(&b, " Export Images\n</h1>\n<form id=\"downloadForm\">\n<h2>\n        You have chosen to export %d images.\n</h2>\n", count)
	}
	if total > limit {
		fmt.Fprintf(&b, "<p class=\"error\">\n        Not available:\n        Total size of files %s\n        is larger than %s.\n    </p>\n", filesizeformat(total), filesizeformat(limit))
	}
	if len(lists) > 0 {
		b.WriteString("<p>Download individual files:</p>\n<table>\n")
		for _, list := range lists {
			b.WriteString("<tbody>\n")
			for _, f := range list {
				fmt.Fprintf(&b, "<tr>\n<td>\n<a href=\"/webclient/download_original_file/%d/\">\n<div>\n%s\n<span style=\"margin-left:20px; text-decoration:none\"> %s</span>\n<span class=\"download\">Download</span>\n</div>\n</a>\n</td>\n</tr>\n",
					f.ID, html.EscapeString(f.Name), filesizeformat(f.Size))
			}
			b.WriteString("</tbody>\n")
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("</form>\n</div>\n</body>\n</html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(b.String()))
}

// sortedIDs returns a map's keys in order.
func sortedIDs[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
