import Hummingbird
import KuraCore

extension KuraHandlers {
    /// `GET /healthz`: 200 `{"status":"ok"}` while the server answers. Public.
    func health() throws(KuraError) -> Response {
        try JSONResponse.make(["status": "ok"] as [String: String])
    }
}
