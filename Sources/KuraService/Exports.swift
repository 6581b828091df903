@_exported import KuraCore
