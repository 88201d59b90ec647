// Command echo is the baseline of the benchmark: a bot that does what
// line-bot-sdk-go v8.14.0's examples/echo_bot does, built with the same SDK
// version as taikai. It parses each webhook with the SDK's
// webhook.ParseRequest, replies to a text with the same text (and to a
// sticker with its ids) by a synchronous ReplyMessage inside the handler,
// through the SDK's default HTTP client (http.DefaultClient), and logs what
// it does with the standard logger, as the example does.
//
// It differs from the example only where the benchmark needs it to:
// LINE_API_BASE_URL points the SDK at the benchmark's fake Messaging API,
// ECHO_LOG=off silences the log (to measure what the logging costs), and
// PPROF_ADDR serves CPU and heap profiles on a port of its own.
package main

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

func main() {
	channelSecret := os.Getenv("LINE_CHANNEL_SECRET")
	opts := []messaging_api.MessagingApiAPIOption{}
	if base := os.Getenv("LINE_API_BASE_URL"); base != "" {
		opts = append(opts, messaging_api.WithEndpoint(base))
	}
	// No WithHTTPClient: the SDK's default, http.DefaultClient.
	bot, err := messaging_api.NewMessagingApiAPI(os.Getenv("LINE_CHANNEL_TOKEN"), opts...)
	if err != nil {
		log.Fatal(err)
	}
	logf := log.Printf
	logln := log.Println
	if os.Getenv("ECHO_LOG") == "off" {
		logf = func(string, ...any) {}
		logln = func(...any) {}
	}
	if addr := os.Getenv("PPROF_ADDR"); addr != "" {
		go func() { log.Print(http.ListenAndServe(addr, profiles())) }()
	}

	http.HandleFunc("/callback", func(w http.ResponseWriter, req *http.Request) {
		logln("/callback called...")
		cb, err := webhook.ParseRequest(channelSecret, req)
		if err != nil {
			logf("Cannot parse request: %+v\n", err)
			if errors.Is(err, webhook.ErrInvalidSignature) {
				w.WriteHeader(400)
			} else {
				w.WriteHeader(500)
			}
			return
		}
		logln("Handling events...")
		for _, event := range cb.Events {
			logf("/callback called%+v...\n", event)
			switch e := event.(type) {
			case webhook.MessageEvent:
				var text string
				switch message := e.Message.(type) {
				case webhook.TextMessageContent:
					text = message.Text
				case webhook.StickerMessageContent:
					text = fmt.Sprintf("sticker id is %s, stickerResourceType is %s", message.StickerId, message.StickerResourceType)
				default:
					logf("Unsupported message content: %T\n", e.Message)
					continue
				}
				if _, err := bot.ReplyMessage(&messaging_api.ReplyMessageRequest{
					ReplyToken: e.ReplyToken,
					Messages:   []messaging_api.MessageInterface{messaging_api.TextMessage{Text: text}},
				}); err != nil {
					log.Print(err)
				} else {
					logln("Sent text reply.")
				}
			default:
				logf("Unsupported message: %T\n", event)
			}
		}
	})

	port := os.Getenv("PORT")
	if port == "" {
		port = "5000"
	}
	fmt.Println("http://localhost:" + port + "/")
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		log.Fatal(err)
	}
}

// profiles serves the two profiles the benchmark takes, at the paths
// net/http/pprof uses (that package would also register itself on the
// default mux, which is this bot's webhook server).
func profiles() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		secs, err := strconv.Atoi(r.URL.Query().Get("seconds"))
		if err != nil || secs < 1 {
			secs = 30
		}
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		select {
		case <-time.After(time.Duration(secs) * time.Second):
		case <-r.Context().Done():
		}
		pprof.StopCPUProfile()
	})
	mux.HandleFunc("GET /debug/pprof/heap", func(w http.ResponseWriter, r *http.Request) {
		pprof.Lookup("heap").WriteTo(w, 0)
	})
	return mux
}
