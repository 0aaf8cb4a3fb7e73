package testserver

import (
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

// newOmeroSession starts an OMERO session for user.
func (s *Server) newOmeroSession(userID int64) *omeroSession {
	st := &s.sessions
	st.mu.Lock()
	defer st.mu.Unlock()
	st.nextID++
	os := &omeroSession{uuid: newUUID(), id: st.nextID, userID: userID, lastUsed: time.Now()}
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

// NewSessionKey starts an OMERO session for a user, as `omero login` would,
// and returns its uuid for `?bsession=`. It returns "" for an unknown user.
func (s *Server) NewSessionKey(user string) string {
	e := s.userByName(user)
	if e == nil {
		return ""
	}
	return s.newOmeroSession(e.ID).uuid
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

// currentUser is login_required: the user of the request's session, joining
// ?bsession= or falling back to the public user as OMERO.web does. ok is
// false when nobody is logged in.
func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) (*Experimenter, bool) {
	if key := r.URL.Query().Get("bsession"); key != "" {
		s.sessions.mu.Lock()
		os := s.sessions.omero[key]
		s.sessions.mu.Unlock()
		if os != nil && s.alive(os) {
			s.bindWebSession(w, os)
			return s.userByID(os.userID), true
		}
	}
	if c, err := r.Cookie("sessionid"); err == nil {
		s.sessions.mu.Lock()
		os := s.sessions.web[c.Value]
		s.sessions.mu.Unlock()
		if os != nil && s.alive(os) {
			if e := s.userByID(os.userID); e != nil {
				return e, true
			}
		}
	}
	if s.opts.Public {
		if e := s.userByName("public"); e != nil {
			s.bindWebSession(w, s.newOmeroSession(e.ID))
			return e, true
		}
	}
	return nil, false
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
	if r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
		w.WriteHeader(http.StatusForbidden)
		return nil, false
	}
	http.Redirect(w, r, "/webclient/login/?url="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
	return nil, false
}

// checkCSRF is Django's CsrfViewMiddleware for unsafe methods: the
// csrftoken cookie and the X-CSRFToken header (or csrfmiddlewaretoken form
// field) must be present, well formed and equal. Failure: 403 JSON through
// OMERO.web's CSRF_FAILURE_VIEW.
func checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	fail := func(reason string) bool {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "CSRF Failed: " + reason})
		return false
	}
	c, err := r.Cookie("csrftoken")
	if err != nil || c.Value == "" {
		return fail("CSRF cookie not set.")
	}
	tok := r.Header.Get("X-CSRFToken")
	if tok == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		tok = r.PostFormValue("csrfmiddlewaretoken")
	}
	if tok == "" {
		return fail("CSRF token missing.")
	}
	if !wellFormedToken(tok) {
		return fail("CSRF token has incorrect length.")
	}
	if tok != c.Value {
		return fail("CSRF token incorrect.")
	}
	return true
}

func wellFormedToken(t string) bool {
	if len(t) != 32 && len(t) != 64 {
		return false
	}
	for _, ch := range t {
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9') {
			return false
		}
	}
	return true
}

// handleToken is /api/v0/token/: the CSRF token, also set as cookie.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	tok := ""
	if c, err := r.Cookie("csrftoken"); err == nil && wellFormedToken(c.Value) {
		tok = c.Value
	} else {
		tok = randomHex(16)
		http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: tok, Path: "/", MaxAge: 31449600, SameSite: http.SameSiteLaxMode})
	}
	writeAPI(w, http.StatusOK, map[string]any{"data": tok})
}

// handleLogin is /api/v0/login/.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeAPI(w, http.StatusMethodNotAllowed, map[string]any{"message": "POST only with username, password, server and csrftoken"})
		return
	}
	if !checkCSRF(w, r) {
		return
	}
	var username, password, server string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]any
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err == nil {
			username, _ = body["username"].(string)
			password, _ = body["password"].(string)
			switch v := body["server"].(type) {
			case string:
				server = v
			case float64:
				server = strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
	} else {
		r.ParseForm()
		username, password, server = r.PostFormValue("username"), r.PostFormValue("password"), r.PostFormValue("server")
	}
	var missing []string
	if username == "" {
		missing = append(missing, "username")
	}
	if password == "" {
		missing = append(missing, "password")
	}
	if len(missing) > 0 {
		writeAPI(w, http.StatusForbidden, map[string]any{"message": "This field is required. (" + strings.Join(missing, ", ") + ")"})
		return
	}
	if server != "" && server != "1" {
		writeAPI(w, http.StatusForbidden, map[string]any{"message": "Select a valid choice. " + server + " is not one of the available choices."})
		return
	}
	e := s.userByName(username)
	if e == nil || e.Password != password || username == "public" {
		writeAPI(w, http.StatusForbidden, map[string]any{"message": "Connection not available, please check your user name and password."})
		return
	}
	os := s.newOmeroSession(e.ID)
	s.bindWebSession(w, os)
	groups := append([]int64(nil), e.Groups...)
	writeAPI(w, http.StatusOK, map[string]any{"success": true, "eventContext": map[string]any{
		"sessionId": os.id, "sessionUuid": os.uuid, "userId": e.ID, "userName": e.UserName,
		"groupId": groups[0], "groupName": s.groupName(groups[0]), "isAdmin": false,
		"eventId": -1, "eventType": "User", "memberOfGroups": groups, "leaderOfGroups": []int64{},
	}})
}

func (s *Server) groupName(id int64) string {
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	if g, ok := s.data.Groups[id]; ok {
		return g.Name
	}
	return ""
}

// handleKeepalive is /webclient/keepalive_ping/.
func (s *Server) handleKeepalive(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if c, err := r.Cookie("sessionid"); err == nil {
		s.sessions.mu.Lock()
		os := s.sessions.web[c.Value]
		s.sessions.mu.Unlock()
		if os != nil && s.alive(os) {
			w.Write([]byte("OK"))
			return
		}
	}
	w.Write([]byte("Connection Failed"))
}

// handleLogout is POST /webclient/logout/: ends the session.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !checkCSRF(w, r) {
		return
	}
	if c, err := r.Cookie("sessionid"); err == nil {
		s.sessions.mu.Lock()
		if os := s.sessions.web[c.Value]; os != nil {
			os.dead = true
		}
		delete(s.sessions.web, c.Value)
		s.sessions.mu.Unlock()
	}
	http.Redirect(w, r, "/webclient/login/", http.StatusFound)
}
