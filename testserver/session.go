package testserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sessions as OMERO.web keeps them: a Django web session (cookie
// "sessionid") bound to an OMERO session (a uuid, the "session key" that
// `?bsession=` joins). OMERO sessions die after SessionIdle without use;
// the web session then answers "Not logged in".

type omeroSession struct {
	uuid     string
	id       int64
	userID   int64
	server   int  // the OMERO server (Options.Servers) it lives on
	public   bool // made for the public user: serves public URLs only
	lastUsed time.Time
	dead     bool
}

type sessionStore struct {
	mu     sync.Mutex
	web    map[string]*omeroSession // sessionid cookie → OMERO session
	omero  map[string]*omeroSession // uuid → OMERO session
	nextID int64
}

func (st *sessionStore) init() {
	st.web = map[string]*omeroSession{}
	st.omero = map[string]*omeroSession{}
	st.nextID = 171000
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newOmeroSession starts an OMERO session for user on server.
func (s *Server) newOmeroSession(userID int64, server int, public bool) *omeroSession {
	st := &s.sessions
	st.mu.Lock()
	defer st.mu.Unlock()
	st.nextID++
	os := &omeroSession{uuid: newUUID(), id: st.nextID, userID: userID, server: server, public: public, lastUsed: time.Now()}
	st.omero[os.uuid] = os
	return os
}

// bindWebSession gives a new "sessionid" cookie bound to os.
func (s *Server) bindWebSession(w http.ResponseWriter, os *omeroSession) {
	key := randomHex(16)
	s.sessions.mu.Lock()
	s.sessions.web[key] = os
	s.sessions.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: key, Path: "/", HttpOnly: true, MaxAge: 86400, SameSite: http.SameSiteLaxMode})
}

// alive reports (and on success refreshes) whether os may still be used.
func (s *Server) alive(os *omeroSession) bool {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if os.dead || time.Since(os.lastUsed) > s.opts.SessionIdle {
		os.dead = true
		return false
	}
	os.lastUsed = time.Now()
	return true
}

// ExpireSessions kills every OMERO session, as a server restart or the idle
// timeout would; web sessions stay, and then answer "Not logged in".
func (s *Server) ExpireSessions() {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	for _, os := range s.sessions.omero {
		os.dead = true
	}
}

// LiveSessions counts the OMERO sessions of a user that are still alive
// (neither logged out nor expired), for tests that check a logout.
func (s *Server) LiveSessions(user string) int {
	e := s.userByName(user)
	if e == nil {
		return 0
	}
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	n := 0
	for _, os := range s.sessions.omero {
		if os.userID == e.ID && !os.dead && time.Since(os.lastUsed) <= s.opts.SessionIdle {
			n++
		}
	}
	return n
}

// NewSessionKey starts an OMERO session for a user on server 1, as `omero
// login` would, and returns its uuid for `?bsession=`. It returns "" for an
// unknown user.
func (s *Server) NewSessionKey(user string) string {
	e := s.userByName(user)
	if e == nil {
		return ""
	}
	return s.newOmeroSession(e.ID, 1, false).uuid
}

func (s *Server) userByName(name string) *Experimenter {
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	for _, e := range s.data.Experimenters {
		if e.UserName == name {
			return e
		}
	}
	return nil
}

func (s *Server) userByID(id int64) *Experimenter {
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	return s.data.Experimenters[id]
}

// publicURL is login_required's is_valid_public_url: public access on,
// a GET (omero.web.public.get_only), and a path the URL filter matches.
func (s *Server) publicURL(r *http.Request) bool {
	if !s.opts.Public || r.Method != http.MethodGet {
		return false
	}
	return s.opts.PublicURLFilter == nil || s.opts.PublicURLFilter.MatchString(r.URL.Path)
}

// webSession is the OMERO session the request's "sessionid" cookie is bound
// to (the Django session's connector), with the cookie; nil when none.
func (s *Server) webSession(r *http.Request) (*omeroSession, string) {
	c, err := r.Cookie("sessionid")
	if err != nil {
		return nil, ""
	}
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	return s.sessions.web[c.Value], c.Value
}

// currentUser is login_required's get_connection: the user of the request's
// session, joining ?bsession= or falling back to the public user as
// omeroweb/decorators.py does. ok is false when nobody is logged in.
//
// A ?bsession= join needs a server id: the web session's, else the request's
// server=, else the only configured one; with several servers and neither,
// there is no authenticated connection at all.
func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) (*Experimenter, bool) {
	public := s.publicURL(r)
	web, cookie := s.webSession(r)
	if key := r.URL.Query().Get("bsession"); key != "" {
		server := 0
		switch {
		case web != nil:
			server = web.server
		case r.URL.Query().Has("server"):
			server, _ = strconv.Atoi(r.URL.Query().Get("server"))
		case s.opts.Servers == 1:
			server = 1
		}
		if server != 0 {
			s.sessions.mu.Lock()
			os := s.sessions.omero[key]
			s.sessions.mu.Unlock()
			if os != nil && os.server == server && s.alive(os) {
				s.bindWebSession(w, os)
				return s.userByID(os.userID), true
			}
		}
	} else if web != nil {
		if s.alive(web) {
			if web.public && !public {
				// An anonymous connection outside the public URLs: none.
				return nil, false
			}
			if e := s.userByID(web.userID); e != nil {
				return e, true
			}
		} else {
			s.sessions.mu.Lock()
			delete(s.sessions.web, cookie)
			s.sessions.mu.Unlock()
		}
	}
	if public {
		if e := s.userByName("public"); e != nil {
			s.bindWebSession(w, s.newOmeroSession(e.ID, 1, true))
			return e, true
		}
	}
	return nil, false
}

// isPublicUser is decorators.is_public_user: the request is served by a
// web session made for the public user (its cookie's, or the one
// currentUser just made for a request that came without one).
func (s *Server) isPublicUser(r *http.Request) bool {
	if r.URL.Query().Get("bsession") != "" {
		return false
	}
	web, _ := s.webSession(r)
	if web != nil && s.alive(web) {
		return web.public
	}
	return s.publicURL(r)
}

// userKey is the context key of the user a view runs as (withUser).
type userKey struct{}

// withUser records the user login_required found for the rest of a view.
func withUser(ctx context.Context, e *Experimenter) context.Context {
	return context.WithValue(ctx, userKey{}, e)
}

// userFrom is the user withUser recorded, or nil.
func userFrom(ctx context.Context) *Experimenter {
	e, _ := ctx.Value(userKey{}).(*Experimenter)
	return e
}

// apiUser answers 403 "Not logged in" for the JSON API when nobody is.
func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) (*Experimenter, bool) {
	e, ok := s.currentUser(w, r)
	if !ok {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Not logged in"})
	}
	return e, ok
}

// gatewayUser answers as webgateway's login_required does when nobody is
// logged in: a redirect to the login page, or 403 with no body for XHR.
func (s *Server) gatewayUser(w http.ResponseWriter, r *http.Request) (*Experimenter, bool) {
	e, ok := s.currentUser(w, r)
	if ok {
		return e, true
	}
	notLoggedIn(w, r, r.URL.RequestURI())
	return nil, false
}

// notLoggedIn is on_not_logged_in: 403 with no body for XHR, else a
// redirect to the login page that comes back to url.
func notLoggedIn(w http.ResponseWriter, r *http.Request, back string) {
	if r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	http.Redirect(w, r, "/webclient/login/?url="+url.QueryEscape(back), http.StatusFound)
}

// handleLogin is /api/v0/login/ (webgateway's LoginView); the CSRF check
// has run before (ServeHTTP).
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"message": "POST only with username, password, server and csrftoken"})
		return
	}
	fields := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]any
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err == nil {
			for _, k := range []string{"username", "password", "server"} {
				switch v := body[k].(type) {
				case string:
					fields[k] = v
				case float64:
					fields[k] = strconv.FormatFloat(v, 'f', -1, 64)
				}
			}
		}
	} else {
		r.ParseForm()
		for _, k := range []string{"username", "password", "server"} {
			fields[k] = r.PostFormValue(k)
		}
	}
	// LoginForm (webadmin/forms.py): username (stripped), password (not
	// stripped), then server, added last by the form's __init__. Errors
	// are "<Label>: <error>" joined by spaces.
	username, password, server := strings.TrimSpace(fields["username"]), fields["password"], strings.TrimSpace(fields["server"])
	var errs []string
	switch {
	case username == "":
		errs = append(errs, "Username: This field is required.")
	case username == "guest":
		errs = append(errs, "Username: Guest account is not supported.")
	}
	if password == "" {
		errs = append(errs, "Password: This field is required.")
	}
	if server == "" {
		errs = append(errs, "Server: This field is required.")
	} else if id, err := strconv.Atoi(server); err != nil {
		// ServerModelChoiceField.to_python calls int() unguarded: a
		// ValueError, Django's 500 page.
		serverError(w)
		return
	} else if id < 1 || id > s.opts.Servers {
		errs = append(errs, "Server: Select a valid choice. That choice is not one of the available choices.")
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": strings.Join(errs, " ")})
		return
	}
	serverID, _ := strconv.Atoi(server)
	e := s.userByName(username)
	if e == nil || e.Password != password || username == "public" {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Connection not available, please check your user name and password."})
		return
	}
	os := s.newOmeroSession(e.ID, serverID, false)
	s.bindWebSession(w, os)
	groups := append([]int64(nil), e.Groups...)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "eventContext": map[string]any{
		"sessionId": os.id, "sessionUuid": os.uuid, "userId": e.ID, "userName": e.UserName,
		"groupId": groups[0], "groupName": s.groupName(groups[0]), "isAdmin": false,
		"eventId": -1, "eventType": "User", "memberOfGroups": groups, "leaderOfGroups": []int64{},
	}})
}

// serverError is Django's page for an unhandled exception (DEBUG off).
func serverError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte("<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"))
}

func (s *Server) groupName(id int64) string {
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	if g, ok := s.data.Groups[id]; ok {
		return g.Name
	}
	return ""
}

// handleKeepalive is /webclient/keepalive_ping/: webclient's login_required
// with ignore_login_fail, which answers a plain 200 "Connection Failed"
// (Django's default text/html) instead of a redirect.
func (s *Server) handleKeepalive(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.currentUser(w, r); ok {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("OK"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte("Connection Failed"))
}

// handleLogout is /webclient/logout/ (login_required with
// login_redirect="webindex"): GET shows a form asking to confirm, POST
// closes the OMERO session and flushes the web session. The CSRF check of
// the POST has run before (ServeHTTP).
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.currentUser(w, r); !ok {
		notLoggedIn(w, r, "/webclient/")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!DOCTYPE html><html><head><title>OMERO.web</title></head><body><form action=\"/webclient/logout/\" method=\"post\"><p>Do you want to log out?</p><input type=\"submit\" value=\"Yes\"></form></body></html>"))
		return
	}
	if os, cookie := s.webSession(r); os != nil {
		s.sessions.mu.Lock()
		os.dead = true
		delete(s.sessions.web, cookie)
		s.sessions.mu.Unlock()
	}
	http.Redirect(w, r, "/webclient/login/", http.StatusFound)
}
