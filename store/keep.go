package store

import (
	"time"

	"github.com/taikaibot/taikai"
)

// convTTL is how long a save keeps r's conversation (and the save's
// bookkeeping with it): the store's own ConvTTL, or longer when the record
// asks (a conversation waiting for a reminder must outlive the wait).
func (s *Store) convTTL(r taikai.Record) time.Duration {
	return max(s.opts.ConvTTL, r.ConvTTL)
}
