package line

import (
	"context"
	"net/http"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// MessageQuota reads the channel's monthly message budget: the target
// limit (GET /v2/bot/message/quota; -1 when none is set, type "none") and
// how many messages count against it this month (GET
// /v2/bot/message/quota/consumption). Replies are free; a push counts once
// per recipient. Both are reads, retried by the policy.
func (c *Client) MessageQuota(ctx context.Context) (limit, used int64, err error) {
	err = c.do(ctx, c.Retry, func(int) (*http.Response, error) {
		var q messaging_api.MessageQuotaResponse
		res, err := c.send(ctx, http.MethodGet, c.url("/v2/bot/message/quota"), nil, "", &q)
		if err == nil {
			limit = -1
			if q.Type == messaging_api.QuotaType_LIMITED {
				limit = q.Value
			}
		}
		return res, err
	})
	if err != nil {
		return 0, 0, err
	}
	err = c.do(ctx, c.Retry, func(int) (*http.Response, error) {
		var u messaging_api.QuotaConsumptionResponse
		res, err := c.send(ctx, http.MethodGet, c.url("/v2/bot/message/quota/consumption"), nil, "", &u)
		if err == nil {
			used = u.TotalUsage
		}
		return res, err
	})
	if err != nil {
		return 0, 0, err
	}
	return limit, used, nil
}
