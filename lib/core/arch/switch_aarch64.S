/* SPDX-License-Identifier: MIT */
/* Context switch for AArch64 (AAPCS64).
 *
 * Only the callee-saved registers are switched: x19-x28, the frame pointer
 * x29, the link register x30 and the low halves d8-d15 of v8-v15. The
 * floating-point control register FPCR is per thread and ringo never moves
 * a fiber between threads, so it is left alone, as is the signal mask (no
 * syscall here). */

	.text

/* void ringo__ctx_switch(void **from_sp, void *to_sp)
 * Saves the callee-saved registers in a 160-byte frame on the current stack,
 * stores sp in *from_sp, switches to to_sp, restores the frame found there
 * and returns through the restored x30. Frame layout (offsets from sp):
 *   0 x19 x20, 16 x21 x22, 32 x23 x24, 48 x25 x26, 64 x27 x28,
 *   80 x29 x30, 96 d8 d9, 112 d10 d11, 128 d12 d13, 144 d14 d15 */
	.globl	ringo__ctx_switch
	.hidden	ringo__ctx_switch
	.type	ringo__ctx_switch, %function
	.p2align 4
ringo__ctx_switch:
	sub	sp, sp, #160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	/* ret, not br x30: the return lands after a bl, which is no BTI
	 * landing pad, so br would fault in a BTI-enforcing process. */
	ret
	.size	ringo__ctx_switch, .-ringo__ctx_switch

/* void *ringo__ctx_make(void *lo, size_t size, start, entry, arg)
 * Builds, at the 16-byte aligned top T of the stack, the frame that
 * ringo__ctx_switch restores, with x19 = start, x20 = entry, x21 = arg,
 * x29 = 0 (end of the frame chain), x30 = trampoline and everything else
 * zero. Returns T - 160; the trampoline then runs with sp = T. */
	.globl	ringo__ctx_make
	.hidden	ringo__ctx_make
	.type	ringo__ctx_make, %function
	.p2align 4
ringo__ctx_make:
	add	x0, x0, x1
	and	x0, x0, #0xfffffffffffffff0
	sub	x0, x0, #160
	stp	x2, x3, [x0, #0]
	stp	x4, xzr, [x0, #16]
	stp	xzr, xzr, [x0, #32]
	stp	xzr, xzr, [x0, #48]
	stp	xzr, xzr, [x0, #64]
	adr	x9, trampoline
	stp	xzr, x9, [x0, #80]
	stp	xzr, xzr, [x0, #96]
	stp	xzr, xzr, [x0, #112]
	stp	xzr, xzr, [x0, #128]
	stp	xzr, xzr, [x0, #144]
	ret
	.size	ringo__ctx_make, .-ringo__ctx_make

/* First code a new context runs: start(entry, arg), which never returns.
 * The CFI says there is no caller, for table-driven unwinders. */
	.type	trampoline, %function
	.p2align 4
trampoline:
	.cfi_startproc
	.cfi_undefined x30
	mov	x0, x20
	mov	x1, x21
	blr	x19
	brk	#0x1
	.cfi_endproc
	.size	trampoline, .-trampoline

	.section .note.GNU-stack, "", %progbits
