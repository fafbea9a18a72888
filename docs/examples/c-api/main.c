/* classify: a complete C program using a model compiled by edgec (see docs/c-api.md).
 *
 * It runs the bundled example model tiny_cnn (a 32x32 RGB image -> 10 class probabilities) on
 * one image and prints the probabilities and the most likely class.
 *
 *   edgec compile target/example/tiny_cnn/model.onnx --target host -o build
 *   gcc -O2 -std=c11 -Wall -Ibuild docs/examples/c-api/main.c build/libtiny_cnn.a -lm -o classify
 *   ./classify image.bin      # 3*32*32 little-endian float32 values, NCHW order
 *   ./classify                # without a file: a fixed test pattern
 */
#include <stdio.h>
#include <stdlib.h>

#include "tiny_cnn.h"

#define IMAGE_FLOATS (EDGEC_TINY_CNN_INPUT_0_BYTES / sizeof(float))
#define NUM_CLASSES (EDGEC_TINY_CNN_OUTPUT_0_BYTES / sizeof(float))

/* Inputs and outputs are plain dense arrays owned by the caller. */
static float image[IMAGE_FLOATS];
static float probs[NUM_CLASSES];

static int read_image(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return -1;
  }
  size_t got = fread(image, sizeof(float), IMAGE_FLOATS, f);
  int extra = fgetc(f);
  fclose(f);
  if (got != IMAGE_FLOATS || extra != EOF) {
    fprintf(stderr, "%s: expected exactly %zu bytes\n", path, (size_t)EDGEC_TINY_CNN_INPUT_0_BYTES);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: %s [image.bin]\n", argv[0]);
    return 2;
  }
  if (argc == 2) {
    if (read_image(argv[1]) != 0) return 2;
  } else {
    for (size_t i = 0; i < IMAGE_FLOATS; i++) image[i] = (float)((i * 7) % 17) / 8.0f - 1.0f;
  }

  /* The workspace: tiny_cnn_workspace_size() bytes, 64-byte aligned, owned by the caller.
   * aligned_alloc wants a size that is a multiple of the alignment (and not 0). */
  size_t align = EDGEC_TINY_CNN_WORKSPACE_ALIGN;
  size_t ws_bytes = (tiny_cnn_workspace_size() + align - 1) / align * align;
  void *workspace = aligned_alloc(align, ws_bytes ? ws_bytes : align);
  if (!workspace) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }

  /* One pointer per input and per output, in the order the header lists them. */
  const void *inputs[EDGEC_TINY_CNN_NUM_INPUTS] = {image};
  void *outputs[EDGEC_TINY_CNN_NUM_OUTPUTS] = {probs};
  int rc = tiny_cnn_run(inputs, outputs, workspace);
  /* The same call through the typed wrapper: tiny_cnn_run_typed(image, probs, workspace). */
  free(workspace);
  if (rc != EDGEC_TINY_CNN_OK) {
    fprintf(stderr, "tiny_cnn_run failed with code %d\n", rc);
    return 1;
  }

  size_t best = 0;
  for (size_t c = 0; c < NUM_CLASSES; c++) {
    printf("probs[%zu] = %.9g\n", c, probs[c]);
    if (probs[c] > probs[best]) best = c;
  }
  printf("class %zu\n", best);
  return 0;
}
