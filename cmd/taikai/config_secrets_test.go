package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestConfigErrorsNeverEchoCredentials: a setting that holds credentials
// in a URL is named when it is wrong, never repeated.
func TestConfigErrorsNeverEchoCredentials(t *testing.T) {
	const pw = "s3cret-Pa55"
	ok := map[string]string{"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
	for _, tc := range []struct {
		change map[string]string
		want   string
	}{
		{map[string]string{"MARKETPLACE_API_URL": "https://user:" + pw + "@"}, "MARKETPLACE_API_URL"},
		{map[string]string{"MARKETPLACE_API_URL": "ftp://user:" + pw + "@m.example"}, "MARKETPLACE_API_URL"},
		{map[string]string{"MARKETPLACE_API_URL": "https://user:" + pw + "@m.example:port"}, "MARKETPLACE_API_URL"},
		{map[string]string{"MARKETPLACE_LINK_URL": "mailto:user:" + pw + "@x"}, "MARKETPLACE_LINK_URL"},
		{map[string]string{"LINE_API_BASE_URL": "ftp://u:" + pw + "@x"}, "LINE_API_BASE_URL"},
		{map[string]string{"MARKETPLACE_TIPS_URL": "https://u:" + pw + "@%zz"}, "MARKETPLACE_TIPS_URL"},
		{map[string]string{"REDIS_URL": "redis://user:" + pw + "@host:notaport/0"}, "REDIS_URL"},
		{map[string]string{"REDIS_URL": "http://user:" + pw + "@x"}, "REDIS_URL"},
		{map[string]string{"REDIS_URL": "redis://:" + pw + "@host:6379/x"}, "REDIS_URL"},
	} {
		e := map[string]string{}
		for k, v := range ok {
			e[k] = v
		}
		for k, v := range tc.change {
			e[k] = v
		}
		var out bytes.Buffer
		err := run(context.Background(), []string{"taikai", "serve"}, env(e), nil, &out, &out)
		var ce *configError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v; want a config error naming %s", tc.want, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error()+out.String(), pw) {
			t.Errorf("%s: the password is echoed: %v", tc.want, err)
		}
	}
}

func TestNewSecuritySettingsAreChecked(t *testing.T) {
	ok := map[string]string{"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
	for _, tc := range []struct {
		change map[string]string
		want   string
	}{
		{map[string]string{"CONSOLE_SECRET": "short"}, "CONSOLE_SECRET"},
		{map[string]string{"METRICS_TOKEN": "short"}, "METRICS_TOKEN"},
		{map[string]string{"METRICS_ADDR": "nowhere"}, "METRICS_ADDR"},
		{map[string]string{"METRICS_ADDR": "127.0.0.1:http"}, "METRICS_ADDR"},
	} {
		e := map[string]string{}
		for k, v := range ok {
			e[k] = v
		}
		for k, v := range tc.change {
			e[k] = v
		}
		_, err := loadConfig(env(e))
		var ce *configError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want a config error naming %s", tc.change, err, tc.want)
		}
	}
	c, err := loadConfig(env(map[string]string{"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
		"CONSOLE_SECRET": strings.Repeat("k", 32), "METRICS_TOKEN": strings.Repeat("m", 16), "METRICS_ADDR": ":9090"}))
	if err != nil || c.Replica.ConsoleSecret != strings.Repeat("k", 32) || c.Replica.MetricsToken != strings.Repeat("m", 16) || c.Replica.MetricsAddr != ":9090" {
		t.Errorf("config %+v, %v; want the settings read", c.Replica, err)
	}
}
