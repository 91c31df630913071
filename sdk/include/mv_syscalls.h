/*
 * mv_syscalls.h — Keel application interface (Twilio Microvisor compatible)
 *
 * IMPLEMENTATION NOTES
 *
 * This header declares the calls a non-secure application makes into the
 * Keel microvisor. Names, parameter types and order, enum values and
 * struct layouts reproduce the Twilio Microvisor application interface
 * (mv_syscalls.h, pinned revision recorded in docs/twilio-compat.md) so
 * that an application written for Twilio Microvisor rebuilds unchanged.
 * Those things are the ABI. Everything written in the comments is Keel's
 * own description of the behaviour; where Twilio left a point open, Keel's
 * choice is stated here and justified in docs/twilio-compat.md.
 *
 * How a call works: each mv* function is resolved by the SDK import
 * library to a fixed, append-only address in the microvisor's
 * non-secure-callable (NSC) region (sdk/abi/mv_calls.list gives the
 * order). All arguments are 32-bit (pointers, handles, enums, integers;
 * narrower integers are widened by the AAPCS) and travel in r0-r3; no call
 * takes more than four arguments. Every call returns an enum MvStatus in
 * r0; MV_STATUS_OKAY (0) is success.
 *
 * Rules common to every call (the secure side enforces them; the per-call
 * comments below list only what is specific to the call):
 *
 *  - Pointer checks. Every pointer the application passes, and every
 *    pointer found inside a structure it passes, is checked with the TT
 *    instruction over the whole byte range it designates before it is
 *    used. A range that touches secure memory, the NSC region, memory the
 *    application may not access, that wraps around the end of the address
 *    space, or a pointer to a 4-byte scalar (uint32_t, uint64_t, 4-byte
 *    enum, handle)
 *    that is not 4-byte aligned, makes the call return
 *    MV_STATUS_PARAMETERFAULT and do nothing else. "Outputs" must be
 *    writable by the application; "inputs" readable.
 *  - Copy before use. Input structures are copied into secure memory once
 *    and only the copy is used, so the application changing them during
 *    the call has no effect.
 *  - Late faults. If the requested action has been performed but a result
 *    cannot be written back (the output became unwritable, e.g. because
 *    another master reconfigured the MPU/SAU view), the call returns
 *    MV_STATUS_LATEFAULT: the action stands, the output is not written.
 *  - Handles are opaque 32-bit values chosen by the microvisor; zero is
 *    never valid. A handle of the wrong kind is MV_STATUS_INVALIDHANDLE.
 *  - Calls that are not implemented yet in this Keel release return
 *    MV_STATUS_UNAVAILABLE without touching any argument
 *    (docs/syscalls.md lists the implemented set).
 *
 * Enums: every enum carries a __MAX member that fixes its size. The device
 * ABI is that of arm-none-eabi GCC's default, short enums: an enum whose
 * __MAX is 0xffffffff is 4 bytes, one whose __MAX is 0xff (MvWakeReason,
 * MvMqttAuthenticationMethod, MvPowerSavingMode, MvDeepSleepMode,
 * MvWifiConfigMode) is 1 byte. So mvGetWakeReason writes exactly one byte.
 * In structures the 1-byte enums are followed by padding to the next
 * 4-byte member, so struct offsets do not depend on enum size. Building
 * the application with -fno-short-enums breaks the ABI and is rejected by
 * the checks at the end of this file.
 *
 * Plain C11; includes only <stdint.h>, <stddef.h> and <stdbool.h>.
 */
#ifndef MV_SYSCALLS_H
#define MV_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * Limits (Keel names; the values are the documented Twilio limits unless
 * marked "Keel").
 * --------------------------------------------------------------------- */

/* mvGetDeviceId: the id is exactly this many bytes, ASCII, no NUL. */
#define MV_DEVICE_ID_LENGTH                34u
/* Size of one struct MvNotification record in a notification buffer. */
#define MV_NOTIFICATION_RECORD_SIZE        16u
/* Smallest notification buffer: two records. */
#define MV_NOTIFICATION_MIN_BUFFER_SIZE    32u
/* Notification centers that may exist at once. */
#define MV_NOTIFICATION_MAX_CENTERS        32u
/* Network requests (mvRequestNetwork handles) held at once (Keel; Twilio
 * documents a maximum without giving it). */
#define MV_NETWORK_MAX_REQUESTS            4u
/* Notification buffer alignment (Keel: natural alignment of the record). */
#define MV_NOTIFICATION_BUFFER_ALIGNMENT   8u
/* mvServerLoggingInit: buffer alignment and size granule. */
#define MV_LOG_BUFFER_ALIGNMENT            512u
/* mvServerLoggingInit: smallest and largest buffer (Keel). */
#define MV_LOG_BUFFER_MIN_SIZE             512u
#define MV_LOG_BUFFER_MAX_SIZE             65536u
/* mvServerLog: longest single message in bytes (Keel). */
#define MV_LOG_MESSAGE_MAX_LENGTH          1024u
/* Channels open at once, and mvOpenChannel calls allowed per second. */
#define MV_CHANNEL_MAX_OPEN                4u
#define MV_CHANNEL_OPEN_RATE_PER_SECOND    8u
/* HTTP: most request headers; accepted timeout range in milliseconds. */
#define MV_HTTP_MAX_REQUEST_HEADERS        32u
#define MV_HTTP_TIMEOUT_MIN_MS             5000u
#define MV_HTTP_TIMEOUT_MAX_MS             10000u
/* MQTT: most certificates per chain; most topics per (un)subscribe. */
#define MV_MQTT_MAX_CERTIFICATES           8u
#define MV_MQTT_MAX_TOPICS                 8u
/* External flash: erase granule; handles open at once. */
#define MV_EXTERNAL_FLASH_ERASE_SIZE       4096u
#define MV_EXTERNAL_FLASH_MAX_HANDLES      32u

/* ------------------------------------------------------------------------
 * Status codes. Every call returns one of these.
 * --------------------------------------------------------------------- */
enum MvStatus {
    MV_STATUS_OKAY                        = 0x0,  /* success */
    MV_STATUS_TIMENOTSET                  = 0x1,  /* wall clock not yet synchronised */
    MV_STATUS_PARAMETERFAULT              = 0x2,  /* a pointer (or an out-of-range mode) was rejected; nothing done */
    MV_STATUS_INVALIDBUFFERSIZE           = 0x3,  /* a size is wrong for the call, or there is no room */
    MV_STATUS_PERIPHERALACCESSFAULT       = 0x4,  /* register not open to the application, or not word aligned */
    MV_STATUS_BUFFERALREADYINUSE          = 0x5,  /* buffer already registered with the microvisor */
    MV_STATUS_INVALIDINTERRUPT            = 0x6,  /* IRQ not usable by the application, or already taken */
    MV_STATUS_INVALIDHANDLE               = 0x7,  /* handle unknown, closed, or of another kind */
    MV_STATUS_TOOMANYNOTIFICATIONBUFFERS  = 0x8,  /* notification center limit reached */
    MV_STATUS_INVALIDVECTOR               = 0x9,  /* VTOR_NS or the IRQ's vector is not in application code */
    MV_STATUS_UNAVAILABLE                 = 0xa,  /* not possible in the current state (or not implemented) */
    MV_STATUS_UNSUPPORTEDSTRUCTUREVERSION = 0xb,  /* versioned structure with an unknown version */
    MV_STATUS_TOOMANYCHANNELS             = 0xc,  /* channel (or handle) limit reached */
    MV_STATUS_UNKNOWNCHANNELENDPOINT      = 0xd,  /* channel endpoint not known */
    MV_STATUS_UNKNOWNCHANNELTYPE          = 0xe,  /* channel type not known */
    MV_STATUS_CHANNELCLOSED               = 0xf,  /* channel is closed */
    MV_STATUS_NETWORKNOTCONNECTED         = 0x10, /* device is offline */
    MV_STATUS_RATELIMITED                 = 0x11, /* called too often; retry later */
    MV_STATUS_INVALIDBUFFERALIGNMENT      = 0x12, /* a registered buffer is not aligned as required */
    MV_STATUS_LATEFAULT                   = 0x13, /* action done, but a result could not be written back */
    MV_STATUS_RESPONSENOTPRESENT          = 0x14, /* no response to read yet */
    MV_STATUS_INDEXINVALID                = 0x15, /* item index out of range */
    MV_STATUS_OFFSETINVALID               = 0x16, /* offset beyond the end of the body */
    MV_STATUS_REQUESTALREADYSENT          = 0x17, /* a request was already issued on this channel */
    MV_STATUS_REQUESTUNSUCCESSFUL         = 0x18, /* the request failed; no data to read */
    MV_STATUS_LOGMESSAGETOOLONG           = 0x19, /* log message longer than the maximum */
    MV_STATUS_LOGGINGDISABLEDBYSERVER     = 0x1a, /* the cloud has switched application logging off */
    MV_STATUS_TOOMANYCONFIGKEYS           = 0x1b, /* too many keys in one config fetch */
    MV_STATUS_UNKNOWNCONFIGSTORE          = 0x1c, /* config store value not known */
    MV_STATUS_UNKNOWNCONFIGSCOPE          = 0x1d, /* config scope value not known */
    MV_STATUS_INVALIDCONFIGKEY            = 0x1e, /* config key has non-printable-ASCII bytes */
    MV_STATUS_INVALIDAUTHENTICATION       = 0x1f, /* conflicting or malformed credentials */
    MV_STATUS_WRONGDATAREQUESTED          = 0x20, /* the object does not hold the kind of data asked for */
    MV_STATUS_INTERNALERROR               = 0x21, /* unexpected microvisor error */
    MV_STATUS_TOOMANYELEMENTS             = 0x22, /* an array in the request is longer than allowed */
    MV_STATUS_REQUIREDELEMENTMISSING      = 0x23, /* a mandatory field of the request is empty */
    MV_STATUS_MICROVISORBUSY              = 0x24, /* the microvisor cannot be interrupted right now */
    MV_STATUS_ADDRESSOUTOFRANGE           = 0x25, /* address/length outside the area available */
    MV_STATUS_INPUTTOOLONG                = 0x26, /* an input is longer than its use allows */
    MV_STATUS__MAX                        = 0xffffffff
};

/* Earlier Twilio SDKs called 0x15 by this name; kept so old code builds. */
#define MV_STATUS_HEADERINDEXINVALID MV_STATUS_INDEXINVALID

/* ------------------------------------------------------------------------
 * Notifications: the microvisor tells the application that something
 * happened by writing a 16-byte record into a ring buffer the application
 * owns and pending an application IRQ.
 * --------------------------------------------------------------------- */
enum MvEventType {
    MV_EVENTTYPE_NOEVENT               = 0x0, /* empty slot / no event */
    MV_EVENTTYPE_NETWORKSTATUSCHANGED  = 0x1, /* network state changed */
    MV_EVENTTYPE_CHANNELDATAREADABLE   = 0x2, /* a channel has data to read */
    MV_EVENTTYPE_CHANNELDATAWRITESPACE = 0x3, /* a channel has room to write */
    MV_EVENTTYPE_CHANNELNOTCONNECTED   = 0x4, /* a channel was disconnected */
    MV_EVENTTYPE_UPDATEDOWNLOADED      = 0x5, /* an update is downloaded and ready */
    MV_EVENTTYPE__MAX                  = 0xffffffff
};

/* One notification record: 16 bytes, 8-byte aligned. */
struct MvNotification {
    uint64_t microseconds;        /* when issued, on the mvGetMicroseconds clock */
    enum MvEventType event_type;  /* what happened; written last, non-zero = full slot */
    uint32_t tag;                 /* the tag the application gave the event source */
};

/* Input to mvSetupNotifications. */
struct MvNotificationSetup {
    uint32_t irq;                   /* application IRQ number to pend */
    struct MvNotification *buffer;  /* ring of records, owned by the app, written by the microvisor */
    uint32_t buffer_size;           /* bytes; multiple of 16, at least 32 */
};

typedef struct MvNotificationHandleOpaque *MvNotificationHandle;

/* ------------------------------------------------------------------------
 * Network
 * --------------------------------------------------------------------- */
struct MvRequestNetworkParams {
    uint32_t version;  /* only 1 is defined */
    union {
        struct {
            MvNotificationHandle notification_handle; /* where network events go */
            uint32_t notification_tag;                 /* tag put in those records */
        } v1;
    };
};

typedef struct MvNetworkHandleOpaque *MvNetworkHandle;

/* Note: the Twilio header's own comments for 0x1 and 0x2 are swapped; the
 * names are authoritative: 1 = connected, 2 = connecting. */
enum MvNetworkStatus {
    MV_NETWORKSTATUS_DELIBERATELYOFFLINE    = 0x0, /* not connected, not trying */
    MV_NETWORKSTATUS_CONNECTED              = 0x1, /* connected to the cloud */
    MV_NETWORKSTATUS_CONNECTING             = 0x2, /* connection in progress */
    MV_NETWORKSTATUS_DISCONNECTEDWITHLINKUP = 0x3, /* link up, cloud not reachable */
    MV_NETWORKSTATUS__MAX                   = 0xffffffff
};

/* Bit set: why the microvisor is (or is not) connecting. */
enum MvNetworkReason {
    MV_NETWORKREASON_NOTCONNECTING         = 0x0,   /* nothing pending, nothing preventing */
    MV_NETWORKREASON_USINGNETWORK          = 0x1,   /* the application holds a network request */
    MV_NETWORKREASON_NEVERUSEDNETWORKAPI   = 0x2,   /* the application has not used the network API yet */
    MV_NETWORKREASON_MINIMUMCHECKINEXPIRED = 0x4,   /* periodic check-in due */
    MV_NETWORKREASON_RTCNOTSET             = 0x8,   /* wall clock needs setting */
    MV_NETWORKREASON_KERNELERROR           = 0x10,  /* a microvisor error must be reported */
    MV_NETWORKREASON_APPLICATIONERROR      = 0x20,  /* an application crash must be reported */
    MV_NETWORKREASON_COLDBOOTCONNECTION    = 0x40,  /* first connection after cold boot */
    MV_NETWORKREASON_FETCHINGUPDATE        = 0x80,  /* an update is downloading */
    MV_NETWORKREASON_DEBUGGERATTACHED      = 0x100, /* a remote debug session is attached */
    MV_NETWORKREASON_NOAPPLICATIONCODE     = 0x200, /* no application installed */
    MV_NETWORKREASON_ENHANCECALM           = 0x800, /* preventing: backing off between attempts */
    MV_NETWORKREASON__MAX                  = 0xffffffff
};

/* ------------------------------------------------------------------------
 * Channels
 * --------------------------------------------------------------------- */
enum MvChannelType {
    MV_CHANNELTYPE_OPAQUEBYTES = 0x0,
    MV_CHANNELTYPE_MQTT        = 0x1,
    MV_CHANNELTYPE_HTTP        = 0x2,
    MV_CHANNELTYPE_CONFIGFETCH = 0x3,
    MV_CHANNELTYPE__MAX        = 0xffffffff
};

/* A byte string given to the microvisor; need not be NUL terminated. */
struct MvSizedString {
    const uint8_t *data;
    uint32_t length;
};

struct MvOpenChannelParams {
    uint32_t version;  /* only 1 is defined */
    union {
        struct {
            MvNotificationHandle notification_handle; /* where channel events go */
            uint32_t notification_tag;
            MvNetworkHandle network_handle;            /* network the channel runs over */
            uint8_t *receive_buffer;                   /* owned by the microvisor while open */
            uint32_t receive_buffer_len;
            uint8_t *send_buffer;                      /* owned by the microvisor while open */
            uint32_t send_buffer_len;
            enum MvChannelType channel_type;
            struct MvSizedString endpoint;             /* cloud-side endpoint name */
        } v1;
    };
};

typedef struct MvChannelHandleOpaque *MvChannelHandle;

enum MvClosureReason {
    MV_CLOSUREREASON_NONE                   = 0x0, /* open, or reason unknown */
    MV_CLOSUREREASON_CHANNELCLOSEDBYSERVER  = 0x1,
    MV_CLOSUREREASON_CHANNELRESETBYSERVER   = 0x2,
    MV_CLOSUREREASON_NETWORKDISCONNECTED    = 0x3,
    MV_CLOSUREREASON_CONNECTIONTERMINATED   = 0x4,
    MV_CLOSUREREASON_NOTYETOPEN             = 0x5, /* never opened, or the open failed */
    MV_CLOSUREREASON_CLOSEDBYAPPLICATION    = 0x6,
    MV_CLOSUREREASON_UNEXPECTEDLYTERMINATED = 0x7,
    MV_CLOSUREREASON__MAX                   = 0xffffffff
};

/* ------------------------------------------------------------------------
 * HTTP (over an MV_CHANNELTYPE_HTTP channel)
 * --------------------------------------------------------------------- */
/* Note the field order: length first, unlike struct MvSizedString. */
struct MvHttpHeader {
    uint32_t length;
    const uint8_t *data;  /* one "Name: value" line, no CRLF */
};

struct MvHttpRequest {
    struct MvSizedString method;          /* GET HEAD POST PUT DELETE PATCH OPTIONS */
    struct MvSizedString url;             /* https:// only */
    uint32_t num_headers;                 /* at most 32 */
    const struct MvHttpHeader *headers;
    struct MvSizedString body;
    uint32_t timeout_ms;                  /* 5000..10000 */
};

enum MvHttpResult {
    MV_HTTPRESULT_OK                   = 0x0,
    MV_HTTPRESULT_UNSUPPORTEDURISCHEME = 0x1,
    MV_HTTPRESULT_UNSUPPORTEDMETHOD    = 0x2,
    MV_HTTPRESULT_INVALIDHEADERS       = 0x3,
    MV_HTTPRESULT_INVALIDTIMEOUT       = 0x4,
    MV_HTTPRESULT_REQUESTFAILED        = 0x5,
    MV_HTTPRESULT_RESPONSETOOLARGE     = 0x6, /* did not fit the receive buffer */
    MV_HTTPRESULT__MAX                 = 0xffffffff
};

struct MvHttpResponseData {
    enum MvHttpResult result;
    uint32_t status_code;   /* HTTP status from the remote server */
    uint32_t num_headers;
    uint32_t body_length;   /* bytes */
};

/* ------------------------------------------------------------------------
 * Configuration and secrets (over an MV_CHANNELTYPE_CONFIGFETCH channel)
 * --------------------------------------------------------------------- */
enum MvConfigKeyFetchScope {
    MV_CONFIGKEYFETCHSCOPE_ACCOUNT = 0x0, /* shared by every device of the account */
    MV_CONFIGKEYFETCHSCOPE_DEVICE  = 0x1, /* this device only */
    MV_CONFIGKEYFETCHSCOPE__MAX    = 0xffffffff
};

enum MvConfigKeyFetchStore {
    MV_CONFIGKEYFETCHSTORE_SECRET = 0x0, /* write-only from the cloud API */
    MV_CONFIGKEYFETCHSTORE_CONFIG = 0x1, /* readable and writable from the cloud API */
    MV_CONFIGKEYFETCHSTORE__MAX   = 0xffffffff
};

struct MvConfigKeyToFetch {
    enum MvConfigKeyFetchScope scope;
    enum MvConfigKeyFetchStore store;
    struct MvSizedString key;      /* printable ASCII */
};

struct MvConfigKeyFetchParams {
    uint32_t num_items;
    const struct MvConfigKeyToFetch *keys_to_fetch;
};

enum MvConfigFetchResult {
    MV_CONFIGFETCHRESULT_OK               = 0x0,
    MV_CONFIGFETCHRESULT_RESPONSETOOLARGE = 0x1,
    MV_CONFIGFETCHRESULT__MAX             = 0xffffffff
};

struct MvConfigResponseData {
    enum MvConfigFetchResult result;
    uint32_t num_items;            /* items come back in request order */
};

enum MvConfigKeyFetchResult {
    MV_CONFIGKEYFETCHRESULT_OK          = 0x0,
    MV_CONFIGKEYFETCHRESULT_KEYNOTFOUND = 0x1,
    MV_CONFIGKEYFETCHRESULT_SERVERERROR = 0x2,
    MV_CONFIGKEYFETCHRESULT__MAX        = 0xffffffff
};

/* A buffer the microvisor fills; it stores the byte count in *length. */
struct MvSizedStringBuffer {
    uint8_t *data;
    uint32_t size;       /* capacity of data in bytes */
    uint32_t *length;    /* out: bytes written */
};

struct MvConfigResponseReadItemParams {
    uint32_t item_index;
    enum MvConfigKeyFetchResult *result;  /* out */
    struct MvSizedStringBuffer buf;       /* out: the value */
};

/* ------------------------------------------------------------------------
 * MQTT (over an MV_CHANNELTYPE_MQTT channel)
 * --------------------------------------------------------------------- */
enum MvMqttReadableDataType {
    MV_MQTTREADABLEDATATYPE_NONE                = 0x0,
    MV_MQTTREADABLEDATATYPE_MESSAGERECEIVED     = 0x1,
    MV_MQTTREADABLEDATATYPE_MESSAGELOST         = 0x2,
    MV_MQTTREADABLEDATATYPE_CONNECTRESPONSE     = 0x3,
    MV_MQTTREADABLEDATATYPE_SUBSCRIBERESPONSE   = 0x4,
    MV_MQTTREADABLEDATATYPE_UNSUBSCRIBERESPONSE = 0x5,
    MV_MQTTREADABLEDATATYPE_PUBLISHRESPONSE     = 0x6,
    MV_MQTTREADABLEDATATYPE_DISCONNECTRESPONSE  = 0x7,
    MV_MQTTREADABLEDATATYPE__MAX                = 0xffffffff
};

enum MvMqttProtocolVersion {
    MV_MQTTPROTOCOLVERSION_V3_1_1 = 0x0,
    MV_MQTTPROTOCOLVERSION_V5     = 0x1,
    MV_MQTTPROTOCOLVERSION__MAX   = 0xffffffff
};

/* MQTT 5 only. __MAX is 0xff in the Twilio header; the enum is still
 * 4 bytes under the AAPCS. */
enum MvMqttAuthenticationMethod {
    MV_MQTTAUTHENTICATIONMETHOD_NONE             = 0x0,
    MV_MQTTAUTHENTICATIONMETHOD_USERNAMEPASSWORD = 0x1,
    MV_MQTTAUTHENTICATIONMETHOD__MAX             = 0xff
};

struct MvUsernamePassword {
    struct MvSizedString username;
    struct MvSizedString password;
};

struct MvMqttAuthentication {
    enum MvMqttAuthenticationMethod method;
    struct MvUsernamePassword username_password;
};

struct MvTlsCertificateChain {
    uint32_t num_certs;                   /* at most 8 */
    const struct MvSizedString *certs;
};

struct MvOwnTlsCertificateChain {
    struct MvTlsCertificateChain chain;
    struct MvSizedString key;
};

struct MvTlsCredentials {
    struct MvTlsCertificateChain cacert;       /* trust anchors for the broker */
    struct MvOwnTlsCertificateChain clientcert; /* client certificate and key */
};

struct MvMqttWill {
    struct MvSizedString topic;
    struct MvSizedString payload;
    uint32_t qos;
    uint8_t retain;
};

struct MvMqttConnectRequest {
    enum MvMqttProtocolVersion protocol_version;
    struct MvSizedString host;
    uint16_t port;
    struct MvSizedString clientid;                  /* UTF-8 */
    struct MvMqttAuthentication authentication;
    const struct MvTlsCredentials *tls_credentials;
    uint32_t keepalive;                             /* seconds */
    uint8_t clean_start;
    const struct MvMqttWill *will;                  /* may be NULL */
};

enum MvMqttRequestState {
    MV_MQTTREQUESTSTATE_REQUESTCOMPLETED         = 0x0,
    MV_MQTTREQUESTSTATE_INVALIDPARAMETERS        = 0x1,
    MV_MQTTREQUESTSTATE_ALREADYCONNECTED         = 0x2,
    MV_MQTTREQUESTSTATE_NOTCONNECTED             = 0x3,
    MV_MQTTREQUESTSTATE_NXDOMAIN                 = 0x4, /* connect only */
    MV_MQTTREQUESTSTATE_UNKNOWNCA                = 0x5, /* connect only */
    MV_MQTTREQUESTSTATE_CERTIFICATEEXPIRED       = 0x6, /* connect only */
    MV_MQTTREQUESTSTATE_SOCKETERROR              = 0x7, /* connect only */
    MV_MQTTREQUESTSTATE_CONNECTIONCIRCUITBREAKER = 0x8, /* dropped: inbound rate limit */
    MV_MQTTREQUESTSTATE__MAX                     = 0xffffffff
};

struct MvMqttConnectResponse {
    enum MvMqttRequestState request_state;
    uint32_t reason_code;   /* MQTT reason code */
};

struct MvMqttSubscription {
    struct MvSizedString topic;
    uint32_t desired_qos;
    uint32_t nl;   /* no-local (MQTT 5) */
    uint32_t rap;  /* retain-as-published (MQTT 5) */
    uint32_t rh;   /* retain handling (MQTT 5) */
};

struct MvMqttSubscribeRequest {
    uint32_t correlation_id;
    const struct MvMqttSubscription *subscriptions;
    uint32_t num_subscriptions;   /* at most 8 */
};

/* Every member except reason_codes_size is an output pointer. */
struct MvMqttSubscribeResponse {
    enum MvMqttRequestState *request_state;
    uint32_t *correlation_id;
    uint32_t *reason_codes;       /* one per subscription */
    uint32_t reason_codes_size;   /* capacity in bytes */
    uint32_t *reason_codes_len;   /* count written */
};

struct MvMqttUnsubscribeRequest {
    uint32_t correlation_id;
    const struct MvSizedString *topics;
    uint32_t num_topics;          /* at most 8 */
};

struct MvMqttUnsubscribeResponse {
    enum MvMqttRequestState *request_state;
    uint32_t *correlation_id;
    uint32_t *reason_codes;
    uint32_t reason_codes_size;
    uint32_t *reason_codes_len;
};

struct MvMqttPublishRequest {
    uint32_t correlation_id;
    struct MvSizedString topic;
    struct MvSizedString payload;
    uint32_t desired_qos;
    uint32_t retain;
};

struct MvMqttPublishResponse {
    enum MvMqttRequestState request_state;
    uint32_t correlation_id;
    uint32_t reason_code;   /* always 0 for MQTT 3.1.1 */
};

/* Every member is an output. */
struct MvMqttMessage {
    uint32_t *correlation_id;
    struct MvSizedStringBuffer topic;
    struct MvSizedStringBuffer payload;
    uint32_t *qos;       /* >0: acknowledge with mvMqttAcknowledgeMessage */
    uint8_t *retain;
};

enum MvMqttLostMessageReason {
    MV_MQTTLOSTMESSAGEREASON_DEVICERECEIVEBUFFERTOOSMALL = 0x0,
    MV_MQTTLOSTMESSAGEREASON__MAX                        = 0xffffffff
};

struct MvMqttLostMessageInfo {
    enum MvMqttLostMessageReason *reason;
    struct MvSizedStringBuffer topic;
    uint32_t *message_len;
};

struct MvMqttDisconnectResponse {
    enum MvMqttRequestState request_state;
    uint32_t disconnect_code;
};

/* ------------------------------------------------------------------------
 * Power, system notifications, wake reason, restart
 * --------------------------------------------------------------------- */
/* STM32U5 low-power modes. */
enum MvPowerSavingMode {
    MV_POWERSAVINGMODE_SLEEP = 0x0,
    MV_POWERSAVINGMODE_STOP0 = 0x1,
    MV_POWERSAVINGMODE_STOP1 = 0x2,
    MV_POWERSAVINGMODE_STOP2 = 0x3,
    MV_POWERSAVINGMODE_STOP3 = 0x4,
    MV_POWERSAVINGMODE__MAX  = 0xff
};

enum MvSystemNotificationSource {
    MV_SYSTEMNOTIFICATIONSOURCE_NETWORK = 0x0, /* MV_EVENTTYPE_NETWORKSTATUSCHANGED */
    MV_SYSTEMNOTIFICATIONSOURCE_UPDATE  = 0x1, /* MV_EVENTTYPE_UPDATEDOWNLOADED */
    MV_SYSTEMNOTIFICATIONSOURCE__MAX    = 0xffffffff
};

struct MvOpenSystemNotificationParams {
    MvNotificationHandle notification_handle;
    uint32_t notification_tag;
    enum MvSystemNotificationSource notification_source;
};

typedef struct MvSystemEventHandleOpaque *MvSystemEventHandle;

enum MvDeepSleepMode {
    MV_DEEPSLEEPMODE_STANDBY  = 0x0,
    MV_DEEPSLEEPMODE_SHUTDOWN = 0x1,
    MV_DEEPSLEEPMODE__MAX     = 0xff
};

/* Why the application was (re)started. Fixed for one application run. */
enum MvWakeReason {
    MV_WAKEREASON_COLDBOOT                 = 0x0,  /* power on, or wake from shutdown */
    MV_WAKEREASON_REMOTEMICROVISORRESTART  = 0x1,  /* cloud asked for a device restart */
    MV_WAKEREASON_REMOTEAPPLICATIONRESTART = 0x2,  /* cloud asked for an application restart */
    MV_WAKEREASON_DEBUGGERRESTART          = 0x3,  /* restarted by the remote debugger */
    MV_WAKEREASON_MICROVISORCRASH          = 0x4,
    MV_WAKEREASON_MICROVISORWATCHDOG       = 0x5,
    MV_WAKEREASON_MICROVISOROUTOFMEMORY    = 0x6,
    MV_WAKEREASON_MICROVISORERROR          = 0x7,
    MV_WAKEREASON_APPLICATIONCRASH         = 0x8,  /* previous run faulted */
    MV_WAKEREASON_APPLICATIONUPDATE        = 0x9,  /* a new application was installed */
    MV_WAKEREASON_MICROVISORUPDATE         = 0xa,  /* a new microvisor was installed */
    MV_WAKEREASON_OPTIONBYTES              = 0xb,  /* option bytes changed */
    MV_WAKEREASON_DEEPSLEEPCHECKIN         = 0xc,
    MV_WAKEREASON_DEEPSLEEPAPPLICATION     = 0xd,
    MV_WAKEREASON_DEEPSLEEPMODEM           = 0xe,
    MV_WAKEREASON_DEEPSLEEPAPPLICATIONRTC  = 0xf,
    MV_WAKEREASON_DEEPSLEEPOTHER           = 0x10,
    MV_WAKEREASON__MAX                     = 0xff
};

enum MvRestartMode {
    /* Restart the application, or the whole device if a microvisor
     * update is pending; pending updates are applied. */
    MV_RESTARTMODE_AUTOAPPLYUPDATE = 0x0,
    MV_RESTARTMODE__MAX            = 0xffffffff
};

/* ------------------------------------------------------------------------
 * External flash, Wi-Fi
 * --------------------------------------------------------------------- */
typedef struct MvExternalFlashHandleOpaque *MvExternalFlashHandle;

struct MvExternalFlashInfo {
    uint32_t version;  /* set to 1 by the application */
    union {
        struct {
            uint32_t chip_id;
            uint32_t size;         /* bytes available to the application */
            uint32_t num_handles;  /* handles currently open */
        } v1;
    };
};

enum MvWifiConfigMode {
    MV_WIFICONFIGMODE_APPLYNOW = 0x0, /* replace the stored settings and use them */
    MV_WIFICONFIGMODE_CLEARNOW = 0x1, /* erase the settings, stop reconnecting */
    MV_WIFICONFIGMODE__MAX     = 0xff
};

struct MvWifiConfig {
    uint32_t version;  /* only 1 is defined */
    union {
        struct {
            enum MvWifiConfigMode config_mode;
            struct MvSizedString wifi_ssid;
            struct MvSizedString wifi_password;
        } v1;
    };
};

struct MvWifiConfigOut {
    uint32_t version;  /* only 1 is defined */
    union {
        struct {
            struct MvSizedStringBuffer ssid;  /* out */
            uint8_t *has_encryption;          /* out */
        } v1;
    };
};

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================
 * Calls. Order here = order in sdk/abi/mv_calls.list.
 * ===================================================================== */

/* --- Time, clocks, identity ------------------------------------------- */

/* Does nothing; always MV_STATUS_OKAY. Used to measure call overhead. */
extern enum MvStatus mvNoOp(void);

/* Writes the microseconds elapsed since the microvisor started. Monotonic,
 * never set or adjusted, unrelated to wall time (may drift from it); the
 * same clock stamps notification records. usec_out: 8 bytes, 4-aligned. */
extern enum MvStatus mvGetMicroseconds(uint64_t *usec_out);

/* Write the current frequency in Hz of, respectively, the CPU clock, the
 * AHB bus, the APB1 bus and the APB2 bus. hz_out: 4-aligned. */
extern enum MvStatus mvGetSysClk(uint32_t *hz_out);
extern enum MvStatus mvGetHClk(uint32_t *hz_out);
extern enum MvStatus mvGetPClk1(uint32_t *hz_out);
extern enum MvStatus mvGetPClk2(uint32_t *hz_out);

/* Writes wall time: microseconds since 1970-01-01T00:00:00Z, leap seconds
 * not counted. Until the cloud has set the clock after a restart, returns
 * MV_STATUS_TIMENOTSET and writes nothing. The value can jump forwards or
 * backwards whenever the cloud re-synchronises it. usec_out: 4-aligned. */
extern enum MvStatus mvGetWallTime(uint64_t *usec_out);

/* Copies the device id (34 ASCII bytes, no terminating NUL) into buf.
 * len must be exactly 34, else MV_STATUS_INVALIDBUFFERSIZE (checked
 * first); buf[0..33] must be writable, else MV_STATUS_PARAMETERFAULT. */
extern enum MvStatus mvGetDeviceId(uint8_t *buf, uint32_t len);

/* --- Peripheral register access --------------------------------------- */

/* Reads a 32-bit peripheral register the application may not access
 * directly (on STM32U5: RCC). reg must be 4-aligned and in the
 * microvisor's per-board table of application-visible registers, else
 * MV_STATUS_PERIPHERALACCESSFAULT; bits the application may not see read
 * as 0. output: 4-aligned, else MV_STATUS_PARAMETERFAULT. */
extern enum MvStatus mvPeriphPeek32(uint32_t reg, uint32_t *output);

/* Read-modify-writes such a register as one uninterruptible step:
 *     new = (old & ~mask) ^ xorvalue
 * i.e. where mask is 1 the bit becomes the xorvalue bit, where mask is 0
 * the bit is toggled if the xorvalue bit is 1. Example: mask 0x00000003,
 * xorvalue 0x10000001 toggles bit 28, clears bit 1, sets bit 0. Bits the
 * application may not change keep their old value, silently; the other
 * bits are still written. Same address rules as mvPeriphPeek32. */
extern enum MvStatus mvPeriphPoke32(uint32_t reg, uint32_t mask, uint32_t xorvalue);

/* --- Notifications ----------------------------------------------------- */

/* Creates a notification center and writes its handle to *handle_out.
 * The setup structure is copied; the buffer it names is then shared:
 * the application owns it, the microvisor writes records into it.
 *   buffer_size % 16 != 0 or < 32          -> MV_STATUS_INVALIDBUFFERSIZE
 *   buffer not 8-aligned                    -> MV_STATUS_INVALIDBUFFERALIGNMENT (Keel)
 *   buffer range not app-writable           -> MV_STATUS_PARAMETERFAULT
 *   buffer overlaps a buffer already registered (notification,
 *     logging, channel)                     -> MV_STATUS_BUFFERALREADYINUSE
 *   irq not an application IRQ, is a fast interrupt, or is used by
 *     another center                        -> MV_STATUS_INVALIDINTERRUPT
 *   32 centers already exist                -> MV_STATUS_TOOMANYNOTIFICATIONBUFFERS
 * The microvisor does not configure the IRQ (priority, enable): the
 * application does. Delivery: records are written at indices 0, 1, 2 ...
 * wrapping to 0 after the last; microseconds and tag first, event_type
 * last; then the IRQ is pended. The application consumes a record by
 * reading it and writing MV_EVENTTYPE_NOEVENT (0) to its event_type. If
 * the slot to be written still holds a non-zero event_type the buffer is
 * full: Keel drops the new notification (never overwrites) and pends the
 * IRQ again. */
extern enum MvStatus mvSetupNotifications(const struct MvNotificationSetup *notifications,
                                          MvNotificationHandle *handle_out);

/* Destroys the center *handle_in_out and writes 0 there. Objects still
 * pointing at the center are not an error; they just stop delivering.
 * After return no further IRQ is pended; an IRQ already pending stays
 * pending (clearing it is the application's job). The buffer is released.
 * Invalid handle -> MV_STATUS_INVALIDHANDLE. */
extern enum MvStatus mvCloseNotifications(MvNotificationHandle *handle_in_out);

/* Posts one record (type, tag) to a center as if an event had occurred,
 * for testing notification handling. Invalid handle ->
 * MV_STATUS_INVALIDHANDLE; same full-buffer rule as real events. */
extern enum MvStatus mvTempTriggerNotification(MvNotificationHandle handle,
                                               enum MvEventType type, uint32_t tag);

/* --- Fast interrupts ---------------------------------------------------
 * A fast interrupt may pre-empt the microvisor's own work (Twilio quotes
 * latency typically under 20 us). The microvisor takes ownership of the
 * IRQ and calls the application's handler from its vector in the table at
 * VTOR_NS, so while an IRQ is fast the application enables and disables it
 * only through these calls. If a fast handler hangs or an interrupt floods,
 * the microvisor withdraws fast interrupts: from then until the application
 * restarts, every call in this group returns MV_STATUS_UNAVAILABLE.
 * irqn not an application IRQ (or, for Set, used by a notification
 * center; for the others, not currently fast) -> MV_STATUS_INVALIDINTERRUPT. */

/* Makes irqn fast. VTOR_NS, the vector table entry and the handler
 * address must all be in application code, else MV_STATUS_INVALIDVECTOR.
 * The IRQ's enabled/pending state carries over. */
extern enum MvStatus mvSetFastInterrupt(uint32_t irqn);
/* Makes irqn a normal application interrupt again; enabled/pending state
 * carries back. */
extern enum MvStatus mvClearFastInterrupt(uint32_t irqn);
/* Enable / disable one fast interrupt. */
extern enum MvStatus mvEnableFastInterrupt(uint32_t irqn);
extern enum MvStatus mvDisableFastInterrupt(uint32_t irqn);
/* Mask all fast interrupts at once / lift that mask; the per-IRQ
 * enabled states are kept underneath. Not counted: one Enable undoes any
 * number of Disables. */
extern enum MvStatus mvDisableAllFastInterrupts(void);
extern enum MvStatus mvEnableAllFastInterrupts(void);

/* --- Network ----------------------------------------------------------- */

/* Asks the microvisor to bring up and keep up the cloud connection; the
 * request lives until mvReleaseNetwork. Status changes are posted to the
 * center named in params (MV_EVENTTYPE_NETWORKSTATUSCHANGED). */
extern enum MvStatus mvRequestNetwork(const struct MvRequestNetworkParams *params,
                                      MvNetworkHandle *handle);
/* Drops the request and writes 0 to *handle. */
extern enum MvStatus mvReleaseNetwork(MvNetworkHandle *handle);
extern enum MvStatus mvGetNetworkStatus(MvNetworkHandle handle, enum MvNetworkStatus *status);
/* Writes the reason bit set and the number of outstanding network handles. */
extern enum MvStatus mvGetNetworkReasons(enum MvNetworkReason *reasons,
                                         uint32_t *request_ref_count);

/* --- Channels ----------------------------------------------------------
 * At most 4 open; mvOpenChannel at most 8 times a second
 * (MV_STATUS_RATELIMITED: wait a second). Requires a connected network
 * (MV_STATUS_NETWORKNOTCONNECTED). Buffers belong to the microvisor while
 * the channel is open. */
extern enum MvStatus mvOpenChannel(const struct MvOpenChannelParams *params,
                                   MvChannelHandle *handle);
/* Writes a pointer into the receive buffer and the number of readable
 * bytes there; call mvReadChannelComplete when done with them. */
extern enum MvStatus mvReadChannel(MvChannelHandle handle, uint8_t **read_pointer_out,
                                   uint32_t *length_out);
extern enum MvStatus mvReadChannelComplete(MvChannelHandle handle, uint32_t consumed);
/* Writes as much of data as fits; *written gets the count. */
extern enum MvStatus mvWriteChannelStream(MvChannelHandle handle, const uint8_t *data,
                                          uint32_t len, uint32_t *written);
/* All or nothing: MV_STATUS_INVALIDBUFFERSIZE if data does not fit;
 * *available gets the free space (len 0 just queries it). */
extern enum MvStatus mvWriteChannel(MvChannelHandle handle, const uint8_t *data,
                                    uint32_t len, uint32_t *available);
/* Closes and writes 0 to *handle. */
extern enum MvStatus mvCloseChannel(MvChannelHandle *handle);
extern enum MvStatus mvGetChannelClosureReason(MvChannelHandle handle,
                                               enum MvClosureReason *reason_out);

/* --- HTTP ---------------------------------------------------------------
 * One request per channel (MV_STATUS_REQUESTALREADYSENT after that). */
extern enum MvStatus mvSendHttpRequest(MvChannelHandle handle, const struct MvHttpRequest *request);
extern enum MvStatus mvReadHttpResponseData(MvChannelHandle handle,
                                            struct MvHttpResponseData *response_data);
/* Copies header header_index, up to size bytes; the length is not
 * reported (pre-fill buf with a non-ASCII terminator). */
extern enum MvStatus mvReadHttpResponseHeader(MvChannelHandle handle, uint32_t header_index,
                                              uint8_t *buf, uint32_t size);
/* Copies body bytes from offset, up to size; a short final read leaves the
 * rest of buf untouched. */
extern enum MvStatus mvReadHttpResponseBody(MvChannelHandle handle, uint32_t offset,
                                            uint8_t *buf, uint32_t size);

/* --- Application logging ----------------------------------------------- */

/* Hands the microvisor a spool buffer for log messages and enables
 * mvServerLog. From this call on the buffer belongs to the microvisor; the
 * application must not touch it.
 *   buffer not 512-aligned                       -> MV_STATUS_INVALIDBUFFERALIGNMENT
 *   length_bytes not a multiple of 512, or
 *     outside 512..65536 (Keel)                  -> MV_STATUS_INVALIDBUFFERSIZE
 *   buffer range not app-writable                -> MV_STATUS_PARAMETERFAULT
 *   overlaps another registered buffer (Keel)    -> MV_STATUS_BUFFERALREADYINUSE
 * Calling it again replaces the buffer; messages still queued in the old
 * one are dropped and the old buffer returns to the application (Keel). */
extern enum MvStatus mvServerLoggingInit(uint8_t *buffer, uint32_t length_bytes);

/* Queues one message (bytes, no terminator needed) for upload. Messages
 * are spooled while offline and sent once a connection exists; delivery
 * and order are not guaranteed.
 *   not initialised               -> MV_STATUS_UNAVAILABLE
 *   message range not readable    -> MV_STATUS_PARAMETERFAULT
 *   length_bytes > 1024 (Keel)    -> MV_STATUS_LOGMESSAGETOOLONG
 *   no room in the spool, or rate limited -> MV_STATUS_INVALIDBUFFERSIZE (message dropped)
 *   cloud disabled logging        -> MV_STATUS_LOGGINGDISABLEDBYSERVER */
extern enum MvStatus mvServerLog(const uint8_t *message, uint16_t length_bytes);

/* --- Configuration and secrets ----------------------------------------- */
extern enum MvStatus mvSendConfigFetchRequest(MvChannelHandle handle,
                                              const struct MvConfigKeyFetchParams *request);
extern enum MvStatus mvReadConfigFetchResponseData(MvChannelHandle handle,
                                                   struct MvConfigResponseData *response_data);
extern enum MvStatus mvReadConfigResponseItem(MvChannelHandle handle,
                                              const struct MvConfigResponseReadItemParams *params);

/* --- MQTT -----------------------------------------------------------------
 * One connect per channel; one subscribe, one unsubscribe in flight. */
extern enum MvStatus mvMqttGetNextReadableDataType(MvChannelHandle handle,
                                                   enum MvMqttReadableDataType *data_type);
extern enum MvStatus mvMqttRequestConnect(MvChannelHandle handle,
                                          const struct MvMqttConnectRequest *request);
extern enum MvStatus mvMqttReadConnectResponse(MvChannelHandle handle,
                                               struct MvMqttConnectResponse *response_data);
extern enum MvStatus mvMqttRequestSubscribe(MvChannelHandle handle,
                                            const struct MvMqttSubscribeRequest *request);
extern enum MvStatus mvMqttReadSubscribeResponse(MvChannelHandle handle,
                                                 const struct MvMqttSubscribeResponse *response_data);
extern enum MvStatus mvMqttRequestUnsubscribe(MvChannelHandle handle,
                                              const struct MvMqttUnsubscribeRequest *request);
extern enum MvStatus mvMqttReadUnsubscribeResponse(MvChannelHandle handle,
                                                   const struct MvMqttUnsubscribeResponse *response_data);
extern enum MvStatus mvMqttRequestPublish(MvChannelHandle handle,
                                          const struct MvMqttPublishRequest *request);
extern enum MvStatus mvMqttReadPublishResponse(MvChannelHandle handle,
                                               struct MvMqttPublishResponse *response_data);
extern enum MvStatus mvMqttReceiveMessage(MvChannelHandle handle,
                                          const struct MvMqttMessage *message_data);
extern enum MvStatus mvMqttReceiveLostMessageInfo(MvChannelHandle handle,
                                                  const struct MvMqttLostMessageInfo *lost_message_info);
extern enum MvStatus mvMqttAcknowledgeMessage(MvChannelHandle handle, uint32_t correlation_id);
extern enum MvStatus mvMqttRequestDisconnect(MvChannelHandle handle);
extern enum MvStatus mvMqttReadDisconnectResponse(MvChannelHandle handle,
                                                  struct MvMqttDisconnectResponse *response_data);

/* --- Factory application testing ------------------------------------------
 * Only meaningful in the factory test image; elsewhere MV_STATUS_UNAVAILABLE. */
extern enum MvStatus mvTestingComplete(uint32_t status);
extern enum MvStatus mvTestLoggingInit(uint8_t *buffer, uint32_t length_bytes);
extern enum MvStatus mvTestLog(const uint8_t *message, uint16_t length_bytes);

/* --- Power ------------------------------------------------------------------ */
extern enum MvStatus mvPowerSave(enum MvPowerSavingMode mode);
/* enable: 0 off, 1 on, other values reserved. */
extern enum MvStatus mvSystemLedEnable(uint32_t enable);

/* --- System notifications --------------------------------------------------- */
extern enum MvStatus mvOpenSystemNotification(const struct MvOpenSystemNotificationParams *params,
                                              MvSystemEventHandle *handle);
extern enum MvStatus mvCloseSystemNotification(MvSystemEventHandle *handle);

/* --- Deep sleep, wake reason, restart ---------------------------------------- */
extern enum MvStatus mvDeepSleep(enum MvDeepSleepMode mode);

/* Writes why the current application run started: ONE byte (the enum is
 * 1 byte in the device ABI), so mode needs no alignment.
 * The value is fixed for the whole run and may be read any number of
 * times. From handler mode (an interrupt or exception handler) ->
 * MV_STATUS_UNAVAILABLE. */
extern enum MvStatus mvGetWakeReason(enum MvWakeReason *mode);

/* Restarts as mode says and does not return on success.
 *   from handler mode                 -> MV_STATUS_UNAVAILABLE
 *   mode not a defined MvRestartMode  -> MV_STATUS_PARAMETERFAULT
 *   microvisor in a step it must not be interrupted in (e.g. writing an
 *     update or a crash record to flash) -> MV_STATUS_MICROVISORBUSY; retry later */
extern enum MvStatus mvRestart(enum MvRestartMode mode);

/* --- External flash -------------------------------------------------------- */
extern enum MvStatus mvExternalFlashOpen(MvExternalFlashHandle *handle);
extern enum MvStatus mvExternalFlashClose(MvExternalFlashHandle *handle);
extern enum MvStatus mvExternalFlashReadBlocking(MvExternalFlashHandle handle, uint32_t address,
                                                 uint32_t length, uint8_t *buffer);
/* address and length must be multiples of 4096. */
extern enum MvStatus mvExternalFlashEraseBlocking(MvExternalFlashHandle handle, uint32_t address,
                                                  uint32_t length);
extern enum MvStatus mvExternalFlashWriteBlocking(MvExternalFlashHandle handle, uint32_t address,
                                                  uint32_t length, const uint8_t *buffer);
extern enum MvStatus mvExternalFlashGetInfo(MvExternalFlashHandle handle,
                                            struct MvExternalFlashInfo *info);

/* --- Wi-Fi -------------------------------------------------------------------- */
extern enum MvStatus mvSetWifiConfig(const struct MvWifiConfig *params);
/* Output through the pointers inside params (params itself is input). */
extern enum MvStatus mvGetWifiConfig(const struct MvWifiConfigOut *params);

/* --- Keel extensions: updates ---------------------------------------------------
 * Not in Twilio's interface (docs/twilio-compat.md): appended after its
 * calls. A newly installed image runs on trial until a health rule confirms
 * it (docs/updates.md); these calls let the application see where that
 * stands and confirm its own trial early. */

/* Where a component's update stands (MvUpdateComponentStatus.state). */
enum MvUpdateState {
    MV_UPDATESTATE_CONFIRMED = 0x0, /* running its confirmed image */
    MV_UPDATESTATE_TRIAL     = 0x1, /* running a newly installed image, not yet confirmed */
    MV_UPDATESTATE_REVERTED  = 0x2, /* the last update was rejected (crashed, never
                                     * confirmed, or found unbootable by the boot: damaged,
                                     * incomplete, needing a newer microvisor): running the
                                     * previous image; stays so until the next update is
                                     * installed */
    MV_UPDATESTATE_NONE      = 0x3, /* no image running (application only) */
    MV_UPDATESTATE__MAX      = 0xffffffff
};

struct MvUpdateComponentStatus {
    uint32_t state;            /* an MvUpdateState */
    uint32_t version;          /* of the running image: major << 24 | minor << 16 | patch */
    uint32_t slot;             /* flash slot it was loaded from: 0 = A, 1 = B */
    uint32_t rejected_version; /* REVERTED: the version that was rejected; else 0 */
};

struct MvUpdateStatus {
    struct MvUpdateComponentStatus application;
    struct MvUpdateComponentStatus microvisor;
};

/* Writes the update status of the application and the microvisor.
 *   status not writable by the caller, or not 4-aligned -> MV_STATUS_PARAMETERFAULT */
extern enum MvStatus mvGetUpdateStatus(struct MvUpdateStatus *status);

/* Confirms the running application's trial now, instead of at the end of
 * its health time: a later crash no longer reverts it. MV_STATUS_OKAY means
 * "passed, will be confirmed": while the microvisor is itself on trial the
 * CONFIRM (and the raised anti-rollback floor) waits until the microvisor
 * is confirmed; if the microvisor is reverted first, so is the application.
 *   the application is not on trial (or already confirmed it) -> MV_STATUS_UNAVAILABLE
 *   from handler mode                                         -> MV_STATUS_UNAVAILABLE */
extern enum MvStatus mvConfirmApplicationUpdate(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* ------------------------------------------------------------------------
 * ABI checks: enum sizes everywhere; struct layouts on 32-bit targets
 * (the device ABI). Host builds (64-bit pointers) check only the enums.
 * --------------------------------------------------------------------- */
#ifdef __cplusplus
#define MV_ABI_ASSERT(c, m) static_assert(c, m)
#else
#define MV_ABI_ASSERT(c, m) _Static_assert(c, m)
#endif

/* Enums whose __MAX is 0xffffffff are 4 bytes on every compiler. */
MV_ABI_ASSERT(sizeof(enum MvStatus) == 4, "MvStatus must be 4 bytes");
MV_ABI_ASSERT(sizeof(enum MvEventType) == 4, "MvEventType must be 4 bytes");
MV_ABI_ASSERT(sizeof(enum MvRestartMode) == 4, "MvRestartMode must be 4 bytes");
/* Enums whose __MAX is 0xff are ONE byte in the device ABI: arm-none-eabi
 * GCC defaults to short enums (Tag_ABI_enum_size "small"), and Twilio's
 * SDK was built that way. An application built with -fno-short-enums would
 * see garbage in the upper bytes of, e.g., the mvGetWakeReason output. */
#if defined(__ARM_SIZEOF_MINIMAL_ENUM) && !defined(MV_ALLOW_INT_ENUMS)
MV_ABI_ASSERT(__ARM_SIZEOF_MINIMAL_ENUM == 1,
              "build with short enums (arm-none-eabi default): the mv* ABI needs them");
MV_ABI_ASSERT(sizeof(enum MvWakeReason) == 1, "device ABI: MvWakeReason is 1 byte");
MV_ABI_ASSERT(sizeof(enum MvMqttAuthenticationMethod) == 1, "device ABI: 1 byte");
MV_ABI_ASSERT(sizeof(enum MvPowerSavingMode) == 1, "device ABI: 1 byte");
MV_ABI_ASSERT(sizeof(enum MvDeepSleepMode) == 1, "device ABI: 1 byte");
MV_ABI_ASSERT(sizeof(enum MvWifiConfigMode) == 1, "device ABI: 1 byte");
#endif
MV_ABI_ASSERT(sizeof(struct MvNotification) == MV_NOTIFICATION_RECORD_SIZE, "MvNotification is 16 bytes");
MV_ABI_ASSERT(offsetof(struct MvNotification, event_type) == 8, "MvNotification layout");
MV_ABI_ASSERT(offsetof(struct MvNotification, tag) == 12, "MvNotification layout");

#if UINTPTR_MAX == 0xFFFFFFFFu
MV_ABI_ASSERT(sizeof(struct MvNotificationSetup) == 12, "layout");
MV_ABI_ASSERT(sizeof(struct MvRequestNetworkParams) == 12, "layout");
MV_ABI_ASSERT(sizeof(struct MvSizedString) == 8, "layout");
MV_ABI_ASSERT(sizeof(struct MvOpenChannelParams) == 44, "layout");
MV_ABI_ASSERT(offsetof(struct MvOpenChannelParams, v1.endpoint) == 36, "layout");
MV_ABI_ASSERT(sizeof(struct MvHttpHeader) == 8, "layout");
MV_ABI_ASSERT(sizeof(struct MvHttpRequest) == 36, "layout");
MV_ABI_ASSERT(sizeof(struct MvHttpResponseData) == 16, "layout");
MV_ABI_ASSERT(sizeof(struct MvConfigKeyToFetch) == 16, "layout");
MV_ABI_ASSERT(sizeof(struct MvConfigKeyFetchParams) == 8, "layout");
MV_ABI_ASSERT(sizeof(struct MvConfigResponseData) == 8, "layout");
MV_ABI_ASSERT(sizeof(struct MvSizedStringBuffer) == 12, "layout");
MV_ABI_ASSERT(sizeof(struct MvConfigResponseReadItemParams) == 20, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttAuthentication) == 20, "layout");
MV_ABI_ASSERT(sizeof(struct MvTlsCredentials) == 24, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttWill) == 24, "layout");
MV_ABI_ASSERT(offsetof(struct MvMqttConnectRequest, port) == 12, "layout");
MV_ABI_ASSERT(offsetof(struct MvMqttConnectRequest, clientid) == 16, "layout");
MV_ABI_ASSERT(offsetof(struct MvMqttConnectRequest, tls_credentials) == 44, "layout");
MV_ABI_ASSERT(offsetof(struct MvMqttConnectRequest, clean_start) == 52, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttConnectRequest) == 60, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttSubscription) == 24, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttSubscribeRequest) == 12, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttSubscribeResponse) == 20, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttUnsubscribeResponse) == 20, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttPublishRequest) == 28, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttPublishResponse) == 12, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttMessage) == 36, "layout");
MV_ABI_ASSERT(sizeof(struct MvMqttLostMessageInfo) == 20, "layout");
MV_ABI_ASSERT(sizeof(struct MvOpenSystemNotificationParams) == 12, "layout");
MV_ABI_ASSERT(sizeof(struct MvExternalFlashInfo) == 16, "layout");
MV_ABI_ASSERT(sizeof(struct MvWifiConfig) == 24, "layout");
MV_ABI_ASSERT(sizeof(struct MvWifiConfigOut) == 20, "layout");
MV_ABI_ASSERT(sizeof(struct MvUpdateStatus) == 32, "layout");
#endif

#undef MV_ABI_ASSERT

#endif /* MV_SYSCALLS_H */
