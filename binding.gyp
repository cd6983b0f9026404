{
  "targets": [
    {
      "target_name": "keepsake_mount",
      "sources": ["native/keepsake_mount.c", "native/steps.c", "native/digest.c", "native/runtime.c"],
      "libraries": ["-ldl"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}
