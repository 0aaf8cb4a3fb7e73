package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// credentials are how the mount logs in. The password never comes from the
// command line (it would show in ps and shell history) and is never logged.
type credentials struct {
	user, password, sessionKey string
}

// String hides the secrets, so a credentials value can never print one.
func (c credentials) String() string {
	switch {
	case c.sessionKey != "":
		return "session key ****"
	case c.user != "":
		return "user " + c.user
	}
	return "public access"
}

// loadCredentials gathers them from flags, the environment, a file or a
// prompt, in the order of design.md.
func loadCredentials(user, passwordFile, sessionKey string) (credentials, error) {
	c := credentials{user: user, sessionKey: sessionKey}
	if c.user == "" {
		c.user = os.Getenv("OMERO_USER")
	}
	if c.sessionKey == "" {
		c.sessionKey = os.Getenv("OMERO_SESSION_KEY")
	}
	if c.sessionKey != "" {
		return c, nil
	}
	if passwordFile != "" {
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			return c, fmt.Errorf("--password-file: %w", err)
		}
		c.password = strings.TrimRight(string(b), "\r\n")
	} else if p, ok := os.LookupEnv("OMERO_PASSWORD"); ok {
		c.password = p
	}
	if c.user == "" {
		if c.password != "" && passwordFile != "" {
			return c, errors.New("--password-file given without --user (or OMERO_USER)")
		}
		c.password = "" // no user: public access
		return c, nil
	}
	if c.password != "" {
		return c, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return c, fmt.Errorf("no password for user %s: set OMERO_PASSWORD, use --password-file FILE, or run on a terminal to be asked", c.user)
	}
	fmt.Fprintf(os.Stderr, "OMERO password for %s: ", c.user)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return c, fmt.Errorf("read password: %w", err)
	}
	c.password = string(b)
	return c, nil
}
