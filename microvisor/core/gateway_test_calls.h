/*
 * Calls that exist only in the test build of the microvisor
 * (microvisor_test.elf, MV_TEST_HOOKS): appended after the production
 * table, so production veneer addresses are the same in both builds. Never
 * in a production image (tests/abi checks the production table has no slot
 * beyond sdk/abi/mv_calls.list).
 */
MV_CALL(mvTestHook, gw_test_hook)
