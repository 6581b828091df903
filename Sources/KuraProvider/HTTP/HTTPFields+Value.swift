import HTTPTypes

extension HTTPFields {
    /// The value of the field `name`, exactly as `self[name]` gives it, without its copy in the usual case.
    ///
    /// `self[name]` joins every field of that name into a new string even when there is one (2.3 % of the
    /// request threads under the escrow load went to joining `Authorization` and `Content-Length` with
    /// nothing, profiled). A field sent once is returned as it is; a repeated one is joined as the
    /// subscript joins it, so what a handler sees never depends on which of the two it used.
    package func value(of name: HTTPField.Name) -> String? {
        guard let first = firstIndex(where: { $0.name == name }) else { return nil }
        if self[index(after: first)...].contains(where: { $0.name == name }) { return self[name] }
        return self[first].value
    }
}
