{
  "targets": [
    {
      "target_name": "keepsake_mount",
      "sources": ["native/keepsake_mount.c", "native/list-dir.c", "native/steps.c", "native/digest.c", "native/runtime.c", "native/load-code.c", "native/file-ahead.c"],
      "libraries": ["-ldl", "-lpthread"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}
