package ogc

import (
	"net/http"
	"strconv"

	"citygrid/spatial/crs"
	"citygrid/spatial/features"
)

// openAPI answers the OpenAPI 3.0 definition of the OGC routes, built from
// the same tables the handlers use (collections, parameters, CRSs), so it
// cannot drift from what they accept.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, noParams); err != nil {
		s.fail(w, err)
		return
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/parameters/" + name} }
	jsonOK := func(desc, mediaType string) map[string]any {
		return map[string]any{"200": map[string]any{"description": desc, "content": map[string]any{mediaType: map[string]any{}}},
			"400": map[string]any{"description": "参数错误（code, description）"}, "404": map[string]any{"description": "不存在"}}
	}
	get := func(summary string, params []any, resp map[string]any) map[string]any {
		return map[string]any{"get": map[string]any{"summary": summary, "parameters": params, "responses": resp}}
	}
	collIDs := []string{}
	for _, c := range features.Collections() {
		collIDs = append(collIDs, c.ID)
	}
	str := func(desc string) map[string]any {
		return map[string]any{"in": "query", "required": false, "description": desc, "schema": map[string]any{"type": "string"}}
	}
	crsParam := func(desc string) map[string]any {
		return map[string]any{"in": "query", "required": false, "description": desc,
			"schema": map[string]any{"type": "string", "format": "uri", "enum": crs.OGCURIs()}}
	}
	params := map[string]any{
		"collectionId": map[string]any{"name": "collectionId", "in": "path", "required": true,
			"schema": map[string]any{"type": "string", "enum": collIDs}},
		"featureId": map[string]any{"name": "featureId", "in": "path", "required": true, "schema": map[string]any{"type": "string"}},
		"limit": map[string]any{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
			"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": features.MaxLimit, "default": features.DefaultLimit}},
		"bbox": map[string]any{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
			"schema": map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}},
		"datetime":    withName(str("RFC 3339 时刻或区间（a/b，.. 表示开放）"), "datetime"),
		"after":       withName(str("分页游标：上一页最后一个要素的 id（见 next 链接）"), "after"),
		"as_of":       withName(str("扩展：按 RFC 3339 时刻读取部件或单元网格当时的状态（编辑历史）"), "as_of"),
		"filter":      withName(str("CQL2 过滤条件"), "filter"),
		"filter-lang": withName(map[string]any{"in": "query", "required": false, "schema": map[string]any{"type": "string", "enum": []string{"cql2-text", "cql2-json"}, "default": "cql2-text"}}, "filter-lang"),
		"crs":         withName(crsParam("输出坐标参考系"), "crs"),
		"bbox-crs":    withName(crsParam("bbox 的坐标参考系"), "bbox-crs"),
		"filter-crs":  withName(crsParam("过滤条件中几何的坐标参考系"), "filter-crs"),
	}
	itemsParams := []any{ref("collectionId"), ref("limit"), ref("bbox"), ref("bbox-crs"), ref("datetime"), ref("crs"),
		ref("filter"), ref("filter-lang"), ref("filter-crs"), ref("after"), ref("as_of")}
	tileParam := func(name string) map[string]any {
		return map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "integer", "minimum": 0}}
	}
	paths := map[string]any{
		"/":                                      get("登陆页", nil, jsonOK("登陆页", typeJSON)),
		"/conformance":                           get("符合的标准类", nil, jsonOK("conformsTo", typeJSON)),
		"/api":                                   get("本接口定义", nil, jsonOK("OpenAPI 3.0", typeOpenAPI)),
		"/collections":                           get("要素集合列表", nil, jsonOK("collections", typeJSON)),
		"/collections/{collectionId}":            get("要素集合", []any{ref("collectionId")}, jsonOK("collection", typeJSON)),
		"/collections/{collectionId}/queryables": get("可查询属性", []any{ref("collectionId")}, jsonOK("JSON Schema", typeSchema)),
		"/collections/{collectionId}/items":      get("要素", itemsParams, jsonOK("FeatureCollection", typeGeoJSON)),
		"/collections/{collectionId}/items/{featureId}": get("单个要素", []any{ref("collectionId"), ref("featureId"), ref("crs"), ref("as_of")},
			jsonOK("Feature", typeGeoJSON)),
		"/tileMatrixSets":                 get("瓦片矩阵集列表", nil, jsonOK("tileMatrixSets", typeJSON)),
		"/tileMatrixSets/WebMercatorQuad": get("WebMercatorQuad", nil, jsonOK("TileMatrixSet", typeJSON)),
		"/tiles":                          get("矢量瓦片集列表", nil, jsonOK("tilesets", typeJSON)),
		"/tiles/WebMercatorQuad":          get("城市矢量瓦片集", nil, jsonOK("TileSet", typeJSON)),
		"/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}": get("矢量瓦片（MVT）",
			[]any{tileParam("tileMatrix"), tileParam("tileRow"), tileParam("tileCol")}, jsonOK("瓦片", typeMVT)),
	}
	if s.cfg.Edit != nil && !s.cfg.ReadOnly {
		write := func(summary, ok string) map[string]any {
			return map[string]any{"summary": summary + "（仅部件，需 surveyor 令牌；PUT/PATCH 需 If-Match，或在 properties.version 中给出读到的版本；DELETE 需 If-Match）",
				"parameters":  []any{ref("collectionId")},
				"requestBody": map[string]any{"content": map[string]any{typeGeoJSON: map[string]any{}}},
				"responses": map[string]any{ok: map[string]any{"description": summary},
					"400": map[string]any{"description": "要素无效"}, "412": map[string]any{"description": "If-Match 过期"},
					"428": map[string]any{"description": "缺少 If-Match（PUT/PATCH 也无 version 属性）"}}}
		}
		items := paths["/collections/{collectionId}/items"].(map[string]any)
		items["post"] = write("新建部件", "201")
		item := paths["/collections/{collectionId}/items/{featureId}"].(map[string]any)
		for method, summary := range map[string]string{"put": "替换部件", "patch": "修改部件（RFC 7396）", "delete": "删除部件"} {
			op := write(summary, "200")
			op["parameters"] = []any{ref("collectionId"), ref("featureId")}
			if method == "delete" {
				delete(op, "requestBody")
			}
			item[method] = op
		}
	}
	writeJSONAs(w, http.StatusOK, typeOpenAPI, map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "citygrid OGC API", "version": "1.0.0",
			"description": "OGC API – Features 第 1–3 部分与 OGC API – Tiles；每页最多 " + strconv.Itoa(features.MaxLimit) + " 个要素"},
		"servers":    []map[string]any{{"url": s.base(r)}},
		"paths":      paths,
		"components": map[string]any{"parameters": params},
	})
}

func withName(p map[string]any, name string) map[string]any {
	p["name"] = name
	return p
}
