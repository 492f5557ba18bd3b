package cli

import (
	"context"

	"github.com/kctl/kctl/internal/feature/records"
	"github.com/kctl/kctl/internal/feature/records/serde"
	"github.com/kctl/kctl/internal/platform/where"
)

// decoding returns the encoder consume prints with: o.Encoder, or with a
// Schema Registry configured a serde.Printer around it that decodes framed
// keys and values, and the --where decoder that gives an expression the
// decoded values (nil without a registry). done reports the records that
// did not decode.
func (o *ConsumeOptions) decoding(ctx context.Context) (records.Encoder, where.Decoder, func(), error) {
	if o.Registry == nil {
		return o.Encoder, nil, func() {}, nil
	}
	rc, err := o.Registry(ctx, &o.RegistryFlags)
	if err != nil || rc == nil {
		return o.Encoder, nil, func() {}, err
	}
	_, isJSON := o.Encoder.(records.JSON)
	codec := serde.NewCodec(rc)
	codec.Subjects = isJSON
	p := &serde.Printer{Ctx: ctx, Codec: codec, Inner: o.Encoder, JSON: isJSON, Notes: o.IO.ErrOut}
	return p, whereDecoder(ctx, codec), func() {
		if n := p.Undecodable(); n > 0 {
			warnf(o.IO.ErrOut, "%d record(s) did not decode with the schema registry %s: printed raw (base64), see the notes above", n, rc.S.URL)
		}
	}, nil
}

// whereDecoder gives --where the JSON of a framed key or value that
// decodes; other bytes (unframed, or framed but undecodable) get where's
// default.
func whereDecoder(ctx context.Context, codec *serde.Codec) where.Decoder {
	return func(_ string, _ bool, b []byte) (any, bool) {
		d := codec.Decode(ctx, b)
		if !d.Framed || d.Err != nil {
			return nil, false
		}
		return where.Default(d.JSON), true
	}
}
