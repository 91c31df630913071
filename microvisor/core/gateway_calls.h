/*
 * The gateway call table, in veneer-slot order: slot i is the i-th entry,
 * at MV_NSC_BASE + 8*i. It must list sdk/abi/mv_calls.list exactly, in the
 * same order (tests/qemu/abi_check.py compares the built microvisor with
 * that list): new calls are appended at the end, never inserted.
 *
 * MV_CALL(name, impl)       returns to the caller
 * MV_CALL_PARK(name, impl)  on success parks the caller (mvRestart)
 * Calls whose feature has not landed map to gw_unavailable.
 * No include guard: included once per expansion of MV_CALL.
 */
/* Slot 71 is the test build's mvTestHook (core/test_hooks.c): it keeps the
 * slot it had before the Keel extensions were appended after it. */
#ifdef MV_TEST_HOOKS
#define MV_SLOT71_IMPL gw_test_hook
#else
#define MV_SLOT71_IMPL gw_unavailable
#endif
MV_CALL(mvNoOp, gw_no_op)
MV_CALL(mvGetMicroseconds, gw_get_microseconds)
MV_CALL(mvGetSysClk, gw_get_sys_clk)
MV_CALL(mvGetHClk, gw_get_hclk)
MV_CALL(mvGetPClk1, gw_get_pclk1)
MV_CALL(mvGetPClk2, gw_get_pclk2)
MV_CALL(mvGetWallTime, gw_get_wall_time)
MV_CALL(mvGetDeviceId, gw_get_device_id)
MV_CALL(mvPeriphPeek32, gw_periph_peek32)
MV_CALL(mvPeriphPoke32, gw_periph_poke32)
MV_CALL(mvSetupNotifications, gw_setup_notifications)
MV_CALL(mvCloseNotifications, gw_close_notifications)
MV_CALL(mvTempTriggerNotification, gw_temp_trigger_notification)
MV_CALL(mvSetFastInterrupt, gw_set_fast_interrupt)
MV_CALL(mvClearFastInterrupt, gw_clear_fast_interrupt)
MV_CALL(mvEnableFastInterrupt, gw_enable_fast_interrupt)
MV_CALL(mvDisableFastInterrupt, gw_disable_fast_interrupt)
MV_CALL(mvDisableAllFastInterrupts, gw_disable_all_fast_interrupts)
MV_CALL(mvEnableAllFastInterrupts, gw_enable_all_fast_interrupts)
MV_CALL(mvRequestNetwork, gw_request_network)
MV_CALL(mvReleaseNetwork, gw_release_network)
MV_CALL(mvGetNetworkStatus, gw_get_network_status)
MV_CALL(mvGetNetworkReasons, gw_get_network_reasons)
MV_CALL(mvOpenChannel, gw_unavailable)
MV_CALL(mvReadChannel, gw_unavailable)
MV_CALL(mvReadChannelComplete, gw_unavailable)
MV_CALL(mvWriteChannelStream, gw_unavailable)
MV_CALL(mvWriteChannel, gw_unavailable)
MV_CALL(mvCloseChannel, gw_unavailable)
MV_CALL(mvGetChannelClosureReason, gw_unavailable)
MV_CALL(mvSendHttpRequest, gw_unavailable)
MV_CALL(mvReadHttpResponseData, gw_unavailable)
MV_CALL(mvReadHttpResponseHeader, gw_unavailable)
MV_CALL(mvReadHttpResponseBody, gw_unavailable)
MV_CALL(mvServerLoggingInit, gw_server_logging_init)
MV_CALL(mvServerLog, gw_server_log)
MV_CALL(mvSendConfigFetchRequest, gw_unavailable)
MV_CALL(mvReadConfigFetchResponseData, gw_unavailable)
MV_CALL(mvReadConfigResponseItem, gw_unavailable)
MV_CALL(mvMqttGetNextReadableDataType, gw_unavailable)
MV_CALL(mvMqttRequestConnect, gw_unavailable)
MV_CALL(mvMqttReadConnectResponse, gw_unavailable)
MV_CALL(mvMqttRequestSubscribe, gw_unavailable)
MV_CALL(mvMqttReadSubscribeResponse, gw_unavailable)
MV_CALL(mvMqttRequestUnsubscribe, gw_unavailable)
MV_CALL(mvMqttReadUnsubscribeResponse, gw_unavailable)
MV_CALL(mvMqttRequestPublish, gw_unavailable)
MV_CALL(mvMqttReadPublishResponse, gw_unavailable)
MV_CALL(mvMqttReceiveMessage, gw_unavailable)
MV_CALL(mvMqttReceiveLostMessageInfo, gw_unavailable)
MV_CALL(mvMqttAcknowledgeMessage, gw_unavailable)
MV_CALL(mvMqttRequestDisconnect, gw_unavailable)
MV_CALL(mvMqttReadDisconnectResponse, gw_unavailable)
MV_CALL(mvTestingComplete, gw_unavailable)
MV_CALL(mvTestLoggingInit, gw_unavailable)
MV_CALL(mvTestLog, gw_unavailable)
MV_CALL(mvPowerSave, gw_unavailable)
MV_CALL(mvSystemLedEnable, gw_unavailable)
MV_CALL(mvOpenSystemNotification, gw_unavailable)
MV_CALL(mvCloseSystemNotification, gw_unavailable)
MV_CALL(mvDeepSleep, gw_unavailable)
MV_CALL(mvGetWakeReason, gw_get_wake_reason)
MV_CALL_PARK(mvRestart, gw_restart)
MV_CALL(mvExternalFlashOpen, gw_unavailable)
MV_CALL(mvExternalFlashClose, gw_unavailable)
MV_CALL(mvExternalFlashReadBlocking, gw_unavailable)
MV_CALL(mvExternalFlashEraseBlocking, gw_unavailable)
MV_CALL(mvExternalFlashWriteBlocking, gw_unavailable)
MV_CALL(mvExternalFlashGetInfo, gw_unavailable)
MV_CALL(mvSetWifiConfig, gw_unavailable)
MV_CALL(mvGetWifiConfig, gw_unavailable)
MV_CALL(mvReserved71, MV_SLOT71_IMPL)
/* Keel extensions: updates (microvisor/core/trial.c) */
MV_CALL(mvGetUpdateStatus, gw_get_update_status)
MV_CALL(mvConfirmApplicationUpdate, gw_confirm_application_update)
