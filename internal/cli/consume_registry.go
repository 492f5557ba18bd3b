package cli

import (
	"context"

	"github.com/kctl/kctl/internal/feature/records"
	"github.com/kctl/kctl/internal/feature/records/serde"
)

// decoding returns the encoder consume prints with: o.Encoder, or with a
// Schema Registry configured a serde.Printer around it that decodes framed
// keys and values. done reports the records that did not decode.
func (o *ConsumeOptions) decoding(ctx context.Context) (records.Encoder, func(), error) {
	rc, err := o.f.Registry(ctx, &o.Registry)
	if err != nil || rc == nil {
		return o.Encoder, func() {}, err
	}
	_, isJSON := o.Encoder.(records.JSON)
	codec := serde.NewCodec(rc)
	codec.Subjects = isJSON
	p := &serde.Printer{Ctx: ctx, Codec: codec, Inner: o.Encoder, JSON: isJSON, Notes: o.f.IO.ErrOut}
	return p, func() {
		if n := p.Undecodable(); n > 0 {
			o.f.Warnf("%d record(s) did not decode with the schema registry %s: printed raw (base64), see the notes above", n, rc.S.URL)
		}
	}, nil
}
