package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/console"
	"github.com/taikaibot/taikai/queue"
	"github.com/taikaibot/taikai/replica"
)

// maxErasures caps the erasure log, as the console caps its audit.
const maxErasures = 100000

// erase deletes everything the bot keeps for one LINE user and appends an
// entry to the erasure log: when, by whom, under which ticket, how much —
// never who was erased nor what was kept.
//
// What is kept for a user is found rather than listed: every key of a user
// carries the user id as its hash tag ({U…}), and what outlives a user's
// data (the memory of a filing) carries the keyed hash of the id that logs
// show. Events of the user still waiting in the intake streams are deleted
// too.
func erase(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	fs.SetOutput(stderr)
	by := fs.String("by", getenv("USER"), "who erases (for the erasure log); default $USER")
	ticket := fs.String("ticket", "", "the request's reference in your own records (for the erasure log)")
	list := fs.Bool("log", false, "print the erasure log instead of erasing")
	if err := fs.Parse(args); err != nil {
		return configErrorf("erase: %v", err)
	}
	cfg, all := parseConfig(getenv)
	var ps problems
	for _, p := range all {
		if strings.HasPrefix(p.setting, "REDIS_") || p.setting == "AUDIT_RETENTION" {
			ps = append(ps, p)
		}
	}
	if r := cfg.Redis; r.URL == "" && len(r.ClusterAddrs) == 0 && len(r.SentinelAddrs) == 0 {
		ps.add("REDIS_URL", "REDIS_URL (or REDIS_CLUSTER_ADDRS, REDIS_SENTINEL_ADDRS) is not set: erase works on the bot's Redis")
	}
	user := fs.Arg(0)
	if !*list {
		if fs.NArg() != 1 || !taikai.ValidUserID(user) {
			ps.add("USER_ID", "erase needs one LINE user id (U and 32 hex digits), e.g. taikai erase -by alice U0123…")
		}
		if cfg.Replica.ChannelSecret == "" {
			ps.add("LINE_CHANNEL_SECRET", "LINE_CHANNEL_SECRET is not set: erase needs it to find what is kept under the user's pseudonym")
		}
		if strings.TrimSpace(*by) == "" {
			ps.add("-by", "-by is empty (and so is $USER): say who erases")
		}
	}
	if err := ps.err(); err != nil {
		return err
	}
	cfg.Redis.PoolSize = 4
	rdb, closeRedis, err := replica.OpenRedis(cfg.Redis, nil)
	if err != nil {
		return err
	}
	defer closeRedis()
	prefix := cfg.Replica.KeyPrefix
	if prefix == "" {
		prefix = "taikai:"
	}
	if *list {
		return printErasures(ctx, rdb, prefix, stdout)
	}

	m := hmac.New(sha256.New, replica.PseudonymKey(cfg.Replica.ChannelSecret))
	m.Write([]byte(user))
	pseudonym := hex.EncodeToString(m.Sum(nil))

	// The reminder the user asked for first, so that none comes due and is
	// put into the intake afterwards; then waiting events, so that none is
	// processed after the keys are gone and starts the user's state again.
	reminder, err := queue.NewReminders(queue.New(rdb, queue.Options{Prefix: prefix}), queue.ReminderOptions{}).Drop(ctx, user)
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	events, err := eraseWaitingEvents(ctx, rdb, prefix, user)
	if err != nil {
		return err
	}
	// Replicas add up the console's index changes for a second before
	// writing them: wait until what they held of this user is written, so
	// that Forget finds it.
	select {
	case <-time.After(2 * console.FlushEvery):
	case <-ctx.Done():
		return ctx.Err()
	}
	// The console's indexes (conversations, queues, search) name the user
	// in their members and values; the card is read to find them, so first.
	indexed, err := console.NewJournal(rdb, prefix, console.Retention{}).Forget(ctx, user)
	if err != nil {
		return fmt.Errorf("erase: console indexes: %w", err)
	}
	keys, err := scanKeys(ctx, rdb, glob(prefix)+"*{"+user+"}*")
	if err != nil {
		return err
	}
	memos, err := scanKeys(ctx, rdb, glob(prefix)+"*"+pseudonym+"*")
	if err != nil {
		return err
	}
	keys = append(keys, memos...)
	sort.Strings(keys)
	deleted := 0
	if reminder {
		deleted++
	}
	for _, k := range keys {
		n, err := rdb.Del(ctx, k).Result()
		if err != nil {
			return fmt.Errorf("erase: delete %s: %w", k, err)
		}
		deleted += int(n)
	}
	now := time.Now()
	id, err := rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: prefix + "erasures", MaxLen: maxErasures, Approx: true,
		Values: map[string]any{"at": now.UnixMilli(), "by": *by, "ticket": *ticket, "keys": deleted + int(indexed), "events": events},
	}).Result()
	if err != nil {
		return fmt.Errorf("erase: the erasure log: %w (the data is erased; record the erasure by hand)", err)
	}
	rdb.XTrimMinIDApprox(ctx, prefix+"erasures", strconv.FormatInt(now.Add(-cfg.Replica.AuditRetention).UnixMilli(), 10), 0)

	fmt.Fprintf(stdout, "Erased what was kept for %s:\n", user)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %s\n", k)
	}
	if indexed > 0 {
		fmt.Fprintf(stdout, "  (and %d entries in the console's indexes: conversations, queues, search)\n", indexed)
	}
	if reminder {
		fmt.Fprintln(stdout, "  (and the reminder the user had asked for)")
	}
	if len(keys) == 0 && indexed == 0 && !reminder {
		fmt.Fprintln(stdout, "  nothing was kept")
	}
	if events > 0 {
		fmt.Fprintf(stdout, "%d event(s) of the user were waiting to be processed: deleted. If the user writes again, the bot starts afresh.\n", events)
	}
	fmt.Fprintf(stdout, "Erasure log entry %s: by %s at %s", id, *by, now.Format(time.RFC3339))
	if *ticket != "" {
		fmt.Fprintf(stdout, ", ticket %s", *ticket)
	}
	fmt.Fprintln(stdout, " (the user id is not in it).")
	return nil
}

// glob escapes a string for a SCAN MATCH pattern.
func glob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// scanKeys returns the keys matching pattern, on every master of a Cluster.
func scanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan) // concurrently
	case *redis.Client:
		err = scan(ctx, c)
	case interface{ Unwrap() redis.UniversalClient }:
		return scanKeys(ctx, c.Unwrap(), pattern)
	default:
		return nil, fmt.Errorf("erase: cannot scan a %T", rdb)
	}
	if err != nil {
		return nil, fmt.Errorf("erase: scan %s: %w", pattern, err)
	}
	return keys, nil
}

// eraseWaitingEvents deletes the user's events still in the intake streams
// (they hold the raw webhook event, a message's text included).
func eraseWaitingEvents(ctx context.Context, rdb redis.UniversalClient, prefix, user string) (int, error) {
	streams, err := scanKeys(ctx, rdb, glob(prefix)+"{p*}:stream")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range streams {
		msgs, err := rdb.XRange(ctx, s, "-", "+").Result()
		if err != nil {
			return n, fmt.Errorf("erase: read %s: %w", s, err)
		}
		for _, m := range msgs {
			if m.Values["key"] != user {
				continue
			}
			if err := rdb.XDel(ctx, s, m.ID).Err(); err != nil {
				return n, fmt.Errorf("erase: delete an event from %s: %w", s, err)
			}
			n++
		}
	}
	return n, nil
}

func printErasures(ctx context.Context, rdb redis.UniversalClient, prefix string, w io.Writer) error {
	msgs, err := rdb.XRange(ctx, prefix+"erasures", "-", "+").Result()
	if err != nil {
		return fmt.Errorf("erase: the erasure log: %w", err)
	}
	if len(msgs) == 0 {
		fmt.Fprintln(w, "The erasure log is empty.")
	}
	for _, m := range msgs {
		v := func(k string) string { s, _ := m.Values[k].(string); return s }
		ms, _ := strconv.ParseInt(v("at"), 10, 64)
		fmt.Fprintf(w, "%s  by %s  ticket %q  %s key(s), %s waiting event(s)\n",
			time.UnixMilli(ms).Format(time.RFC3339), v("by"), v("ticket"), v("keys"), v("events"))
	}
	return nil
}
