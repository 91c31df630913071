/*
 * Sizes the MQTT context as the M33 lays it out: the symbol's size in
 * this object (arm-none-eabi-nm -S) is sizeof(mqtt_client_t) with the
 * default mqtt_config.h. Never linked into an image.
 */
#include "mqtt.h"

mqtt_client_t keel_mqtt_ctx_probe;
