package testserver

import (
	"strconv"
	"strings"
)

// channelLabel is what imgData gives as a channel's label: omero-py's
// ChannelWrapper.getLabel (omero/gateway/__init__.py): the logical
// channel's name unless it is empty or only whitespace, else the emission
// wavelength (an integer when it is one), else the channel's 0-based index.
func channelLabel(im *Image, i int) string {
	if i >= len(im.Channels) {
		return strconv.Itoa(i)
	}
	ch := im.Channels[i]
	if ch.Name != nil && strings.TrimSpace(*ch.Name) != "" {
		return *ch.Name
	}
	if ch.Emission > 0 {
		return pythonFloat(ch.Emission)
	}
	return strconv.Itoa(i)
}

// pythonFloat formats a float as Python's str() does for the values a
// wavelength takes: an integer without ".0" (getLabel converts it), else
// the shortest decimal.
func pythonFloat(f float64) string {
	if f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
